//! Drawing the UI without a display: a Slint platform over a software-rendered window, for
//! the headless demo, screenshots in tests and the accessibility contrast checks.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::{ElementHandle, ElementRoot};
use slint::platform::software_renderer::{MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType};
use slint::platform::{Platform, PlatformError, PointerEventButton, WindowAdapter, WindowEvent};
use slint::{ComponentHandle, LogicalPosition, PhysicalSize};

/// The window, its size, and its pixels: kept between frames, so a frame redraws only
/// what changed (as on the device's framebuffer).
type Current = Rc<RefCell<(Rc<MinimalSoftwareWindow>, u32, u32, Vec<PremultipliedRgbaColor>)>>;

struct HeadlessPlatform {
    current: Current,
    start: Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.current.borrow().0.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// The software-rendered screen of this thread.
pub struct Screen {
    current: Current,
}

fn new_window(width: u32, height: u32) -> (Rc<MinimalSoftwareWindow>, u32, u32, Vec<PremultipliedRgbaColor>) {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
    window.set_size(PhysicalSize::new(width, height));
    (window, width, height, vec![PremultipliedRgbaColor::default(); (width * height) as usize])
}

#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("a Slint platform is already set on this thread")]
    PlatformSet,
    #[error("writing {0}: {1}")]
    Png(String, String),
    #[error("no enabled element labelled {label:?} on this screen; labels here: {present:?}")]
    NoSuchElement { label: String, present: Vec<String> },
}

/// Presses the button whose accessible label is `label`, the way a screen reader or a
/// keypad would: its default action. Fails when no such button is shown and enabled (a
/// text with the same words is not a button).
pub fn press(component: &impl ComponentHandle, label: &str) -> Result<(), ScreenError> {
    // The same controls the keypad reaches: one definition of what can be pressed.
    match crate::focus::targets(component).into_iter().find(|t| t.label == label) {
        Some(target) => {
            target.activate();
            Ok(())
        }
        None => Err(ScreenError::NoSuchElement { label: label.to_owned(), present: labels(component) }),
    }
}

/// Every accessible label on the screen, in tree order.
pub fn labels(component: &impl ComponentHandle) -> Vec<String> {
    let mut out = Vec::new();
    component.root_element().visit_descendants(|e| {
        if let Some(label) = e.accessible_label()
            && !label.is_empty()
        {
            out.push(label.to_string());
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

/// Where an element with this label is drawn (logical pixels: x, y, width, height).
pub fn bounds(component: &impl ComponentHandle, label: &str) -> Option<(f32, f32, f32, f32)> {
    ElementHandle::find_by_accessible_label(component, label).next().map(|e| {
        let (p, s) = (e.absolute_position(), e.size());
        (p.x, p.y, s.width, s.height)
    })
}

impl Screen {
    /// Installs the headless platform on this thread (once per thread, as Slint allows).
    pub fn install(width: u32, height: u32) -> Result<Screen, ScreenError> {
        let current = Rc::new(RefCell::new(new_window(width, height)));
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            current: current.clone(),
            start: Instant::now(),
        }))
        .map_err(|_| ScreenError::PlatformSet)?;
        Ok(Screen { current })
    }

    /// The next component created gets a fresh screen of this size (a landscape table
    /// tablet after a portrait kiosk).
    pub fn next_screen(&self, width: u32, height: u32) {
        *self.current.borrow_mut() = new_window(width, height);
    }

    pub fn size(&self) -> (u32, u32) {
        let c = self.current.borrow();
        (c.1, c.2)
    }

    fn window(&self) -> Rc<MinimalSoftwareWindow> {
        self.current.borrow().0.clone()
    }

    /// Draws what changed since the last frame (everything when `full`); returns the
    /// redrawn area in pixels (0 when nothing changed).
    pub fn draw(&self, full: bool) -> u64 {
        slint::platform::update_timers_and_animations();
        let mut current = self.current.borrow_mut();
        let (window, width, _, pixels) = &mut *current;
        if full {
            window.request_redraw();
        }
        let mut area = 0;
        window.draw_if_needed(|renderer| {
            if full {
                // Switching the buffer type drops the partial-rendering cache.
                renderer.set_repaint_buffer_type(RepaintBufferType::NewBuffer);
            }
            let region = renderer.render(pixels, *width as usize);
            renderer.set_repaint_buffer_type(RepaintBufferType::ReusedBuffer);
            let size = region.bounding_box_size();
            area = size.width as u64 * size.height as u64;
        });
        area
    }

    /// Draws the current state: RGBA8, row by row.
    pub fn render(&self) -> Vec<u8> {
        self.draw(false);
        let current = self.current.borrow();
        let mut rgba = Vec::with_capacity(current.3.len() * 4);
        for p in current.3.iter().copied() {
            // Un-premultiply; the window background is opaque, so alpha is 255 in practice.
            let a = p.alpha.max(1) as u32;
            let un = |c: u8| ((c as u32 * 255 + a / 2) / a).min(255) as u8;
            rgba.extend_from_slice(&[un(p.red), un(p.green), un(p.blue), p.alpha]);
        }
        rgba
    }

    /// Draws the current state into a PNG file.
    pub fn save_png(&self, path: &Path) -> Result<(), ScreenError> {
        let rgba = self.render();
        let err = |e: &dyn std::fmt::Display| ScreenError::Png(path.display().to_string(), e.to_string());
        let file = std::fs::File::create(path).map_err(|e| err(&e))?;
        let (width, height) = self.size();
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| err(&e))?;
        writer.write_image_data(&rgba).map_err(|e| err(&e))
    }

    /// A tap at a logical position.
    pub fn tap(&self, x: f32, y: f32) {
        let position = LogicalPosition::new(x, y);
        let window = self.window();
        let w = window.window();
        w.dispatch_event(WindowEvent::PointerMoved { position });
        w.dispatch_event(WindowEvent::PointerPressed { position, button: PointerEventButton::Left });
        w.dispatch_event(WindowEvent::PointerReleased { position, button: PointerEventButton::Left });
        w.dispatch_event(WindowEvent::PointerExited);
    }

    /// A scroll (a mouse wheel; a finger's drag scrolls the same) at a logical position:
    /// a negative `delta_y` brings what is further down into view.
    pub fn scroll(&self, x: f32, y: f32, delta_y: f32) {
        let position = LogicalPosition::new(x, y);
        let window = self.window();
        let w = window.window();
        w.dispatch_event(WindowEvent::PointerMoved { position });
        w.dispatch_event(WindowEvent::PointerScrolled { position, delta_x: 0.0, delta_y });
        w.dispatch_event(WindowEvent::PointerExited);
    }
}
