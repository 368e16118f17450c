//! Every control a finger could press, as the accessibility tree lists them, in the order
//! the screen lays them out: what the tests and `automate` press by label (as a screen
//! reader would). The keypad's own order is Slint's focus chain over the same tree.

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementRoot};
use slint::ComponentHandle;

/// A control the keypad can focus.
#[derive(Clone)]
pub struct Target {
    pub label: String,
    element: ElementHandle,
}

impl Target {
    /// Presses it: the control's default action, as a tap would.
    pub fn activate(&self) {
        self.element.invoke_accessible_default_action();
    }

    /// Scrolls what holds it (a flickable) so that it comes to the middle of a
    /// `width`×`height` screen, as far as the flickable goes: its neighbours come into view,
    /// and so into the focus order.
    pub fn reveal(&self, width: f32, height: f32) {
        let (x, y, w, h) = self.bounds();
        let (dx, dy) = (width / 2.0 - (x + w / 2.0), height / 2.0 - (y + h / 2.0));
        if dx.abs() > 1.0 || dy.abs() > 1.0 {
            self.element.scroll(dx, dy);
        }
    }

    /// Where it is drawn (logical pixels: x, y, width, height).
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        let (p, s) = (self.element.absolute_position(), self.element.size());
        (p.x, p.y, s.width, s.height)
    }
}

/// The enabled, drawn controls with a label, in layout order.
pub fn targets(component: &impl ComponentHandle) -> Vec<Target> {
    let mut out = Vec::new();
    component.root_element().visit_descendants(|e| {
        if e.accessible_role() == Some(AccessibleRole::Button)
            && e.accessible_enabled() != Some(false)
            && e.size().width > 0.0
            && e.size().height > 0.0
            && let Some(label) = e.accessible_label().filter(|l| !l.is_empty())
        {
            out.push(Target { label: label.to_string(), element: e.clone() });
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}
