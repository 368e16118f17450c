//! Every page renders headless with Korean text, at the kiosk's portrait size.

use kiosk_ui::headless::Screen;
use kiosk_ui::{
    CartState, CategoryView, ItemView, KioskWindow, LineView, MenuState, Page, PaymentState, Session,
};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

fn s(text: &str) -> SharedString {
    text.into()
}

#[test]
fn every_page_renders_with_hangul() {
    let screen = Screen::install(800, 1280).unwrap();
    let app = KioskWindow::new().unwrap();
    kiosk_ui::select_language("ko").unwrap();
    let (session, menu, cart) =
        (app.global::<Session>(), app.global::<MenuState>(), app.global::<CartState>());
    session.set_store_name(s("한입버거 강남점"));
    menu.set_categories(ModelRc::new(VecModel::from(vec![
        CategoryView { id: s("burgers"), name: s("버거") },
        CategoryView { id: s("drinks"), name: s("음료") },
    ])));
    let item = |id: &str, name: &str, price: &str, sold_out: bool| ItemView {
        id: s(id),
        name: s(name),
        price: s(price),
        tags: s("매운맛"),
        sold_out,
        closed: Default::default(),
        photo: Default::default(),
    };
    menu.set_items(ModelRc::new(VecModel::from(vec![
        item("a", "불고기버거", "5,500원", false),
        item("b", "치즈버거", "5,000원", false),
        item("c", "감자튀김", "2,000원", true),
        item("d", "콜라", "2,000원", false),
    ])));
    cart.set_lines(ModelRc::new(VecModel::from(vec![LineView {
        name: s("불고기버거"),
        detail: s("치즈 추가"),
        quantity: 2,
        total: s("12,000원"),
    }])));
    cart.set_item_count(2);
    cart.set_total(s("12,000원"));
    app.global::<PaymentState>().set_order_number(s("0042"));
    app.show().unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&out).unwrap();
    for page in
        [Page::Attract, Page::Language, Page::Service, Page::Menu, Page::Cart, Page::PayChoice, Page::Done]
    {
        session.set_page(page);
        let pixels = screen.render();
        let background = &pixels[..4];
        let differing = pixels.chunks(4).filter(|p| *p != background).count();
        assert!(differing > 5_000, "{page:?} drew almost nothing ({differing} pixels)");
        screen.save_png(&out.join(format!("{page:?}.png"))).unwrap();
    }
}
