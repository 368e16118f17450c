//! Fixtures shared by the printer tests.

use kiosk_drivers::printer::receipt::{Block, Paper, QrLevel, Receipt, Style};

/// A 20-line Korean receipt with 똠 (not in KS X 1001) and ￦.
pub fn korean_receipt() -> Receipt {
    let mut r = Receipt::new(Paper::MM80);
    r.text("한입버거 강남점", Style::default().double().center().bold());
    r.text("사업자번호 123-45-67891  대표 김한입", Style::default());
    r.text("서울특별시 강남구 테헤란로 123", Style::default());
    r.text("2026-11-22 13:45  주문번호 0123", Style::default());
    r.text("포장 (Take-out)", Style::default());
    r.separator('-');
    r.row("불고기 버거 x2", "￦11,000", Style::default());
    r.row("  + 치즈 추가", "￦1,000", Style::default());
    r.row("똠얌꿍 라면 x1", "￦8,500", Style::default());
    r.row("아메리카노 (아이스) x1", "₩2,500", Style::default());
    r.row("감자튀김 라지 x1", "￦2,700", Style::default());
    r.separator('-');
    r.row("공급가액", "23,364", Style::default());
    r.row("부가세", "2,336", Style::default());
    r.row("합계", "￦25,700", Style::default().bold().tall());
    r.separator('-');
    r.text("신용카드 KB국민카드 9411-23**-****-1234", Style::default());
    r.text("일시불  승인번호 30012345", Style::default());
    r.text("교환·환불은 영수증 지참 시 7일 이내", Style::default());
    r.text("감사합니다 Thank you!", Style::default().center());
    r.push(Block::Qr { data: "https://hanip.example/r/0123".into(), module_size: 4, level: QrLevel::M });
    r.push(Block::Cut { partial: true });
    r
}
