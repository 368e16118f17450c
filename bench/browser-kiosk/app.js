// The kiosk's customer flow as a single-page web app, the way browser kiosks (Odoo's
// self-order and the like) run it: attract → language → dine-in / take-out → menu → item
// options → cart → payment choice. Same menu, photos, font, layout, pricing rules and
// accessible labels as the Slint UI, so one script drives both (see
// tests/benches/browser_kiosk.rs). Each change re-renders the page from the state, as a
// small framework would; scroll positions are kept.
//
// For the benchmark it exposes `window.kiosk`:
//   ready        a promise: the epoch time (ms) at which the first page was painted
//                (first-contentful-paint, which is its presentation time in Chromium; the
//                page is put in the document only once its font and photo are decoded)
//   press(label) presses the control with that accessible label, waits until the changed
//                page's photos are decoded and its frame is produced; returns the page name
//   view()       "order=- items=N total=TEXT tab=- detail=-" as `kiosk automate`'s `view` (before its notice)
//   labels()     every pressable (enabled) control's label
'use strict';

(() => {
  const WORDS = {
    ko: {
      'Touch to order': '주문하려면 누르세요',
      'Where will you eat?': '어디에서 드시겠어요?',
      'Eat here': '매장에서 먹기',
      'Take out': '포장하기',
      'Back': '이전',
      'Start over': '처음으로',
      'View cart': '장바구니 보기',
      'Your cart is empty': '장바구니가 비어 있습니다',
      '{} items · {}': '{}개 · {}',
      '{} items': '{}개',
      'Add · {}': '담기 · {}',
      'One more': '하나 더',
      'One fewer': '하나 빼기',
      'One more {}': '{} 하나 더',
      'One fewer {}': '{} 하나 빼기',
      'Quantity {}': '수량 {}',
      '{}, chosen': '{}, 선택됨',
      'Your order': '주문 내역',
      'Total': '합계',
      'Add more': '더 담기',
      'Pay': '결제하기',
      'How will you pay?': '결제 방법을 선택해 주세요',
      'Credit or debit card': '신용·체크카드',
      'Kakao Pay / Naver Pay barcode': '카카오페이 / 네이버페이 바코드',
      'Pay at the counter': '카운터에서 결제',
      'SOLD OUT': '품절',
      'sold out': '품절',
      'Voice guide': '음성 안내',
      'Magnify': '크게 보기',
      'High contrast': '고대비',
      'Low screen': '낮은 화면',
    },
  };
  const TAGS = {
    new: ['신메뉴', 'New'], best: ['인기', 'Best'], recommended: ['추천', 'Recommended'],
    spicy: ['매운맛', 'Spicy'], vegetarian: ['채식', 'Vegetarian'], vegan: ['비건', 'Vegan'],
    halal: ['할랄', 'Halal'],
  };

  const state = {
    menu: null,
    store: '',
    lang: 'ko',
    page: 'attract',
    category: 0,
    slide: 0,
    cart: [],        // { item, options: {group: [{option, nested: {group: [id]}}]}, steps: {step: item}, quantity }
    editor: null,    // { item, options, steps, quantity, problem }
    access: {},
  };
  const scrolls = {};
  let slideTimer = null;
  let settled = Promise.resolve(); // the last render's photos, decoded

  // --- words and money -------------------------------------------------------------------
  const tr = (msg, ...args) => {
    let s = (WORDS[state.lang] && WORDS[state.lang][msg]) || msg;
    for (const a of args) s = s.replace('{}', a);
    return s;
  };
  const ko = () => state.lang === 'ko';
  const text = (t) => (t && (t[state.lang] || t.ko || t.en)) || '';
  const group3 = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const money = (n) => {
    const sign = n < 0 ? '-' : '';
    return ko() ? `${sign}${group3(Math.abs(n))}원` : `${sign}₩${group3(Math.abs(n))}`;
  };
  const delta = (n) => (!n ? '' : n > 0 ? `+${money(n)}` : `−${money(-n)}`);
  const groupRule = (min, max) => {
    if (ko()) {
      if (min === 0) return `선택 · 최대 ${max}개`;
      return min === max ? `필수 · ${min}개 선택` : `필수 · ${min}~${max}개`;
    }
    if (min === 0) return `optional · up to ${max}`;
    return min === max ? `required · choose ${min}` : `required · ${min} to ${max}`;
  };

  // --- the menu and pricing (kiosk-app/domain/src/cart.rs) ------------------------------
  const item = (id) => state.menu.items.find((i) => i.id === id);
  const group = (id) => state.menu.option_groups.find((g) => g.id === id);
  const visibleItems = () => {
    const c = state.menu.categories[state.category];
    return state.menu.items.filter((i) => i.category === c.id);
  };

  // Prices a selection: { unit, parts: [{name, delta}] } or { problem }.
  function price(sel) {
    const it = item(sel.item);
    const parts = [];
    if (it.sold_out) return { problem: ko() ? `${text(it.name)}은(는) 품절입니다` : `${text(it.name)} is sold out` };
    if (it.set) {
      for (const step of it.set.steps) {
        const chosen = sel.steps[step.id];
        if (!chosen) {
          return { problem: ko() ? `${text(step.name)}을(를) 골라 주세요` : `Please choose the ${text(step.name)}` };
        }
        const choice = step.choices.find((c) => c.item === chosen);
        parts.push({ name: text(item(choice.item).name), delta: choice.price_delta || 0 });
      }
    }
    for (const gid of it.option_groups || []) {
      const g = group(gid);
      const picks = sel.options[gid] || [];
      if (picks.length < g.min) {
        return { problem: ko() ? `${text(g.name)}: ${g.min}개를 골라 주세요` : `${text(g.name)}: please choose ${g.min}` };
      }
      for (const p of picks) {
        const o = g.options.find((x) => x.id === p.option);
        parts.push({ name: text(o.name), delta: o.price_delta || 0 });
        for (const nid of o.option_groups || []) {
          const n = group(nid);
          const ids = (p.nested && p.nested[nid]) || [];
          if (ids.length < n.min) {
            return { problem: ko() ? `${text(n.name)}: ${n.min}개를 골라 주세요` : `${text(n.name)}: please choose ${n.min}` };
          }
          for (const id of ids) {
            const no = n.options.find((x) => x.id === id);
            parts.push({ name: text(no.name), delta: no.price_delta || 0 });
          }
        }
      }
    }
    const unit = parts.reduce((s, p) => s + p.delta, it.price);
    return { unit, parts };
  }

  // The "add" button's amount: the line total once the selection is valid, the item's price
  // times the quantity until then (as the session's view).
  function editorTotal(e) {
    const priced = price(e);
    return (priced.problem ? item(e.item).price : priced.unit) * e.quantity;
  }

  const cartCount = () => state.cart.reduce((n, l) => n + l.quantity, 0);
  const cartTotal = () => state.cart.reduce((n, l) => n + price(l).unit * l.quantity, 0);
  const key = (sel) => JSON.stringify([sel.item, sel.options, sel.steps]);

  // --- what the controls do -------------------------------------------------------------
  const actions = {
    start() { state.page = 'language'; },
    language(lang) { state.lang = lang; state.page = 'service'; },
    service() { state.page = 'menu'; },
    back() {
      switch (state.page) {
        case 'language': state.page = 'attract'; break;
        case 'service': state.page = 'language'; break;
        case 'menu': reset(); break;
        case 'item': state.editor = null; state.page = 'menu'; break;
        case 'cart': state.page = 'menu'; break;
        case 'paychoice': state.page = 'cart'; break;
      }
    },
    category(i) { state.category = i; scrolls.grid = 0; },
    open(id) {
      if (item(id).sold_out) return;
      state.editor = { item: id, options: {}, steps: {}, quantity: 1, problem: '' };
      scrolls.body = 0;
      state.page = 'item';
    },
    step(stepId, itemId) { state.editor.problem = ''; state.editor.steps[stepId] = itemId; },
    toggle(gid, oid, parent) {
      const e = state.editor;
      e.problem = '';
      let picks;
      if (parent) {
        const p = e.options[parent.group].find((x) => x.option === parent.option);
        p.nested = p.nested || {};
        picks = p.nested[gid] = p.nested[gid] || [];
        const g = group(gid);
        const at = picks.indexOf(oid);
        if (at >= 0) picks.splice(at, 1);
        else if (g.max === 1) picks.splice(0, picks.length, oid);
        else if (picks.length < g.max) picks.push(oid);
        else e.problem = tooMany(g);
        if (!picks.length) delete p.nested[gid];
        return;
      }
      const g = group(gid);
      picks = e.options[gid] = e.options[gid] || [];
      const at = picks.findIndex((p) => p.option === oid);
      if (at >= 0) picks.splice(at, 1);
      else if (g.max === 1) picks.splice(0, picks.length, { option: oid, nested: {} });
      else if (picks.length < g.max) picks.push({ option: oid, nested: {} });
      else e.problem = tooMany(g);
      if (!picks.length) delete e.options[gid];
    },
    quantity(q) { if (q >= 1 && q <= 99) state.editor.quantity = q; },
    add() {
      const e = state.editor;
      const priced = price(e);
      if (priced.problem) { e.problem = priced.problem; return; }
      const sel = { item: e.item, options: e.options, steps: e.steps, quantity: e.quantity };
      const same = state.cart.find((l) => key(l) === key(sel));
      if (same) same.quantity += sel.quantity;
      else state.cart.push(sel);
      state.editor = null;
      state.page = 'menu';
    },
    cart() { if (state.cart.length) { scrolls.list = 0; state.page = 'cart'; } },
    line(i, q) {
      if (q === 0) state.cart.splice(i, 1);
      else if (q <= 99) state.cart[i].quantity = q;
      if (!state.cart.length) state.page = 'menu';
    },
    checkout() { if (state.cart.length) state.page = 'paychoice'; },
    pay() { reset(); },
    accessToggle(which) { state.access[which] = !state.access[which]; },
  };
  const tooMany = (g) => (ko() ? `${text(g.name)}: 최대 ${g.max}개까지 고를 수 있습니다` : `${text(g.name)}: choose at most ${g.max}`);
  function reset() {
    state.cart = [];
    state.editor = null;
    state.category = 0;
    state.lang = 'ko';
    state.page = 'attract';
  }

  // --- the pages --------------------------------------------------------------------------
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'onclick') el.addEventListener('click', v);
      else if (k === 'label') el.setAttribute('aria-label', v);
      else if (k === 'text') el.textContent = v;
      else if (k === 'disabled') el.disabled = true;
      else el.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }
  const act = (fn) => () => { fn(); render(); };
  const big = (label, fn, opts = {}) => h('button', {
    class: `big${opts.primary === false ? ' secondary' : ''}${opts.square ? ' square' : ''}${opts.stretch ? ' stretch' : ''}`,
    label: opts.label || label,
    disabled: opts.enabled === false,
    onclick: act(fn),
  }, label);
  const chip = (label, selected, fn, opts = {}) => h('button', {
    class: `chip${selected ? ' selected' : ''}${opts.wide ? ' wide' : ''}`,
    label: opts.label || label,
    'aria-pressed': selected ? 'true' : 'false',
    disabled: opts.enabled === false,
    onclick: act(fn),
  }, selected ? `√ ${label}` : label);
  const header = (title, detail) => h('div', { class: 'header' },
    h('div', { class: 'title', text: title }), h('div', { class: 'detail', text: detail || '' }));
  const photo = (name) => h('img', { src: `/photos/${encodeURIComponent(name)}`, alt: '', decoding: 'async' });

  function attractPage() {
    const items = visibleItems();
    const it = items[state.slide % items.length];
    return h('button', { class: 'page centered attract', label: tr('Touch to order'), onclick: act(actions.start) },
      h('div', { class: 'slide' }, photo(it.image),
        h('div', { class: 'caption', text: `${text(it.name)}  ${money(it.price)}` })),
      h('div', { class: 'store', text: state.store }),
      h('div', { class: 'prompt', text: '주문하시려면 화면을 눌러 주세요' }),
      h('div', { class: 'prompt-en', text: 'Touch the screen to order' }));
  }

  function languagePage() {
    const a = state.access;
    return h('div', { class: 'page centered' },
      h('div', { class: 'title', text: '언어를 선택해 주세요 / Choose your language' }),
      big('한국어', () => actions.language('ko')),
      big('English', () => actions.language('en')),
      h('div', { class: 'access-row' },
        chip(tr('Voice guide'), a.voice, () => actions.accessToggle('voice')),
        chip(tr('Magnify'), a.magnify, () => actions.accessToggle('magnify'))),
      h('div', { class: 'access-row' },
        chip(tr('High contrast'), a.contrast, () => actions.accessToggle('contrast')),
        chip(tr('Low screen'), a.low, () => actions.accessToggle('low'))));
  }

  function servicePage() {
    return h('div', { class: 'page centered' },
      h('div', { class: 'title', text: tr('Where will you eat?') }),
      big(tr('Eat here'), actions.service),
      big(tr('Take out'), actions.service),
      big(tr('Back'), actions.back, { primary: false }));
  }

  function menuPage() {
    const count = cartCount();
    return h('div', { class: 'page' },
      header(state.store, ''),
      h('div', { class: 'categories', 'data-scroll': 'categories' },
        state.menu.categories.map((c, i) => chip(text(c.name), i === state.category, () => actions.category(i)))),
      h('div', { class: 'grid', 'data-scroll': 'grid' }, visibleItems().map((it) => {
        const name = text(it.name);
        const p = money(it.price);
        const tags = (it.tags || []).map((t) => (TAGS[t] || [t, t])[ko() ? 0 : 1]).join(' · ');
        return h('button', {
          class: `card${it.sold_out ? ' sold-out' : ''}`,
          label: it.sold_out ? `${name}, ${p}, ${tr('sold out')}` : `${name}, ${p}`,
          onclick: act(() => actions.open(it.id)),
        },
        h('div', { class: 'photo' }, photo(it.image),
          it.sold_out ? h('div', { class: 'sold-out-band', text: tr('SOLD OUT') }) : null),
        h('div', { class: 'name', text: name }),
        h('div', { class: 'tags', text: tags }),
        h('div', { class: 'price', text: p }));
      })),
      h('div', { class: 'bar' }, h('div', { class: 'row' },
        h('div', { class: 'summary', text: count ? tr('{} items · {}', count, money(cartTotal())) : tr('Your cart is empty') }),
        big(tr('Start over'), actions.back, { primary: false }),
        big(tr('View cart'), actions.cart, { enabled: count > 0 }))));
  }

  function optionChips(g, chosen, onToggle) {
    return g.options.map((o) => {
      const d = delta(o.price_delta || 0);
      const label = d ? `${text(o.name)}  ${d}` : text(o.name);
      const on = chosen(o.id);
      return chip(label, on, () => onToggle(o.id), {
        wide: true, label: on ? tr('{}, chosen', label) : label, enabled: !o.sold_out,
      });
    });
  }

  function itemPage() {
    const e = state.editor;
    const it = item(e.item);
    const groups = [];
    if (it.set) {
      for (const step of it.set.steps) {
        const choices = step.choices.map((c) => ({ id: c.item, name: item(c.item).name, price_delta: c.price_delta, sold_out: item(c.item).sold_out }));
        groups.push(h('div', { class: 'group' },
          h('div', { class: 'head' }, h('div', { class: 'name', text: text(step.name) }),
            h('div', { class: 'rule', text: ko() ? '세트 구성 · 1개 선택' : 'set · choose 1' })),
          optionChips({ options: choices }, (id) => e.steps[step.id] === id, (id) => actions.step(step.id, id))));
      }
    }
    for (const gid of it.option_groups || []) {
      const g = group(gid);
      const picks = e.options[gid] || [];
      groups.push(h('div', { class: 'group' },
        h('div', { class: 'head' }, h('div', { class: 'name', text: text(g.name) }),
          h('div', { class: 'rule', text: groupRule(g.min, g.max) })),
        optionChips(g, (id) => picks.some((p) => p.option === id), (id) => actions.toggle(gid, id))));
      for (const p of picks) {
        const o = g.options.find((x) => x.id === p.option);
        for (const nid of o.option_groups || []) {
          const n = group(nid);
          const ids = (p.nested && p.nested[nid]) || [];
          groups.push(h('div', { class: 'group' },
            h('div', { class: 'head' }, h('div', { class: 'name', text: `${text(o.name)} · ${text(n.name)}` }),
              h('div', { class: 'rule', text: groupRule(n.min, n.max) })),
            optionChips(n, (id) => ids.includes(id), (id) => actions.toggle(nid, id, { group: gid, option: o.id }))));
        }
      }
    }
    return h('div', { class: 'page' },
      header(text(it.name), money(it.price)),
      h('div', { class: 'body', 'data-scroll': 'body' },
        h('div', { class: 'description', text: text(it.description) }), groups),
      h('div', { class: 'bar' },
        e.problem ? h('div', { class: 'problem', text: e.problem }) : null,
        h('div', { class: 'row' },
          big('−', () => actions.quantity(e.quantity - 1), { primary: false, square: true, enabled: e.quantity > 1, label: tr('One fewer') }),
          h('div', { class: 'quantity', role: 'text', 'aria-label': tr('Quantity {}', e.quantity), text: String(e.quantity) }),
          big('+', () => actions.quantity(e.quantity + 1), { primary: false, square: true, label: tr('One more') }),
          big(tr('Add · {}', money(editorTotal(e))), actions.add, { stretch: true })),
        big(tr('Back'), actions.back, { primary: false })));
  }

  function cartPage() {
    const total = cartTotal();
    const vat = Math.floor(total / 11);
    return h('div', { class: 'page' },
      header(tr('Your order'), tr('{} items', cartCount())),
      h('div', { class: 'body', 'data-scroll': 'list' }, state.cart.map((l, i) => {
        const priced = price(l);
        const name = text(item(l.item).name);
        const detail = priced.parts.map((p) => (p.delta ? `${p.name} ${delta(p.delta)}` : p.name)).join(', ');
        return h('div', { class: 'line' },
          h('div', { class: 'what' }, h('div', { class: 'name', text: name }), h('div', { class: 'detail', text: detail })),
          big('−', () => actions.line(i, l.quantity - 1), { primary: false, square: true, label: tr('One fewer {}', name) }),
          h('div', { class: 'count', text: String(l.quantity) }),
          big('+', () => actions.line(i, l.quantity + 1), { primary: false, square: true, label: tr('One more {}', name) }),
          h('div', { class: 'total', text: money(priced.unit * l.quantity) }));
      })),
      h('div', { class: 'bar' },
        h('div', { class: 'totals' }, h('span', { text: tr('Total') }), h('span', { text: money(total) })),
        h('div', { class: 'vat', text: ko() ? `부가세 ${money(vat)} 포함` : `incl. VAT ${money(vat)}` }),
        h('div', { class: 'row' },
          big(tr('Add more'), actions.back, { primary: false }),
          big(tr('Pay'), actions.checkout, { stretch: true, enabled: state.cart.length > 0 }))));
  }

  function payChoicePage() {
    return h('div', { class: 'page centered' },
      h('div', { class: 'title', text: tr('How will you pay?') }),
      h('div', { class: 'amount', text: money(cartTotal()) }),
      big(tr('Credit or debit card'), actions.pay, { enabled: false }),
      big(tr('Kakao Pay / Naver Pay barcode'), actions.pay, { enabled: false }),
      big(tr('Pay at the counter'), actions.pay, { primary: false }),
      big(tr('Back'), actions.back, { primary: false }));
  }

  const PAGES = {
    attract: attractPage, language: languagePage, service: servicePage, menu: menuPage,
    item: itemPage, cart: cartPage, paychoice: payChoicePage,
  };

  // Re-renders the page from the state; resolves once every photo on it is decoded.
  function render() {
    const screen = document.getElementById('screen');
    for (const el of screen.querySelectorAll('[data-scroll]')) scrolls[el.dataset.scroll] = el.scrollTop;
    const page = PAGES[state.page]();
    screen.replaceChildren(page);
    for (const el of screen.querySelectorAll('[data-scroll]')) el.scrollTop = scrolls[el.dataset.scroll] || 0;
    clearInterval(slideTimer);
    slideTimer = null;
    if (state.page === 'attract' && visibleItems().length > 1) {
      slideTimer = setInterval(() => {
        state.slide = (state.slide + 1) % visibleItems().length;
        const it = visibleItems()[state.slide];
        const slide = screen.querySelector('.slide');
        slide.querySelector('img').src = `/photos/${encodeURIComponent(it.image)}`;
        slide.querySelector('.caption').textContent = `${text(it.name)}  ${money(it.price)}`;
      }, 4000);
    }
    settled = decoded(screen);
    return settled;
  }

  const decoded = (root) => Promise.all([...root.querySelectorAll('img')].map((img) => img.decode().catch(() => {})));
  // Resolves after the next frame's main-thread work (style, layout, paint) is done.
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

  // --- the benchmark's handle --------------------------------------------------------------
  const pressable = () => [...document.querySelectorAll('button')]
    .filter((b) => b.getClientRects().length > 0)
    .map((b) => ({ el: b, label: b.getAttribute('aria-label') || b.textContent.trim() }));

  window.kiosk = {
    ready: null,
    page: () => state.page,
    labels: () => pressable().filter((p) => !p.el.disabled).map((p) => p.label),
    view: () => `order=- items=${cartCount()} total=${money(cartTotal()).replace(/ /g, '\u00a0')} tab=- detail=-`,
    async press(label) {
      const found = pressable().find((p) => p.label === label);
      if (!found) throw new Error(`no control labelled ${JSON.stringify(label)} on ${state.page}`);
      if (found.el.disabled) throw new Error(`${JSON.stringify(label)} is disabled`);
      found.el.click();
      await settled;
      await nextFrame();
      return state.page;
    },
  };

  // The first page is put in the document only once the font, menu and first photo are
  // ready, so the first contentful paint is the whole page.
  const fcp = new Promise((resolve) => {
    new PerformanceObserver((list, observer) => {
      for (const e of list.getEntries()) {
        if (e.name === 'first-contentful-paint') {
          observer.disconnect();
          resolve(performance.timeOrigin + e.startTime);
        }
      }
    }).observe({ type: 'paint', buffered: true });
  });
  window.kiosk.ready = (async () => {
    const [menu, store] = await Promise.all([
      fetch('/menu.json').then((r) => r.json()),
      fetch('/store.json').then((r) => r.json()),
      document.fonts.load('26px NanumGothic', '한'),
    ]);
    state.menu = menu;
    state.store = store.name;
    const first = visibleItems()[0];
    const img = new Image();
    img.src = `/photos/${encodeURIComponent(first.image)}`;
    await img.decode().catch(() => {});
    await render();
    return fcp;
  })();
})();
