"""Sets up a fresh Tryton database as a small Korean store's POS, from nothing: KRW,
a company in Asia/Seoul, a fiscal year and chart of accounts, 10 % VAT, three menu
products with VAT-inclusive prices, a sale point with a card and a cash method, and the
kiosk's user (groups "POS" and "POS Posting").

Run with the Tryton venv's python, before trytond starts (both use the same SQLite file):
    setup_db.py CONFIG DATABASE KIOSK_PASSWORD
Prints one JSON line describing what it made.
"""
import json
import sys
from decimal import Decimal

from proteus import Model, config
from trytond.modules.account.tests.tools import (
    create_chart, create_fiscalyear, create_tax, get_accounts)
from trytond.modules.account_invoice.tests.tools import (
    set_fiscalyear_invoice_sequences)
from trytond.modules.company.tests.tools import create_company, get_company

PRODUCTS = [
    # code, name, VAT-inclusive price in won, category
    ('B001', '한입버거', Decimal('4500'), 'Burgers'),
    ('B002', '치즈버거', Decimal('5000'), 'Burgers'),
    ('D001', '콜라', Decimal('2000'), 'Drinks'),
]


def main(config_file, database, password):
    config.set_trytond(database=database, user='admin', config_file=config_file)

    Currency = Model.get('currency.currency')
    krw = Currency(name='Korean won', code='KRW', symbol='₩', numeric_code='410',
        digits=0, rounding=Decimal(1))
    krw.save()

    Party = Model.get('party.party')
    party = Party(name='한입버거 강남점')
    party.save()
    create_company(party, currency=krw)
    company = get_company()
    company.timezone = 'Asia/Seoul'
    company.save()

    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(company))
    fiscalyear.click('create_period')
    create_chart(company)
    accounts = get_accounts(company)
    tax = create_tax(Decimal('.10'))
    tax.save()

    Category = Model.get('product.category')
    accounting = Category(name='Food (VAT 10 %)', accounting=True)
    accounting.account_revenue = accounts['revenue']
    accounting.customer_taxes.append(tax)
    accounting.save()
    menu_categories = {}
    for _, _, _, name in PRODUCTS:
        if name not in menu_categories:
            c = Category(name=name)
            c.save()
            menu_categories[name] = c

    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    for code, name, price, category in PRODUCTS:
        template = Template(name=name, code=code, default_uom=unit, type='goods',
            salable=True, account_category=accounting)
        template.categories.append(Category(menu_categories[category].id))
        template.gross_price = price
        template.save()

    Journal = Model.get('account.journal')
    journal, = Journal.find([('type', '=', 'revenue')], limit=1)
    SequenceType = Model.get('ir.sequence.type')
    sequence_type, = SequenceType.find([('name', '=', 'POS')], limit=1)
    Sequence = Model.get('ir.sequence.strict')
    sequence = Sequence(name='Kiosk 1', sequence_type=sequence_type, prefix='K1-',
        company=company)
    sequence.save()
    Location = Model.get('stock.location')
    storage, = Location.find([('code', '=', 'STO')])
    customer, = Location.find([('code', '=', 'CUS')])
    SalePoint = Model.get('sale.point')
    point = SalePoint(name='Kiosk 1', journal=journal, sequence=sequence,
        storage_location=storage, customer_location=customer)
    point.save()

    Method = Model.get('sale.point.payment.method')
    card_account, = accounts['cash'].duplicate()
    card = Method(name='Card', account=card_account)
    card.save()
    cash = Method(name='Cash', account=accounts['cash'], cash=True)
    cash.save()

    Group = Model.get('res.group')
    User = Model.get('res.user')
    user = User(name='Kiosk 1', login='kiosk1', password=password)
    for group in Group.find([('name', 'in', ['POS', 'POS Posting'])]):
        user.groups.append(group)
    user.companies.append(company)
    user.company = company
    user.save()

    print(json.dumps({
        'sale_point': point.id, 'card_method': card.id, 'cash_method': cash.id,
        'user': 'kiosk1', 'products': [p[0] for p in PRODUCTS]}))


if __name__ == '__main__':
    main(*sys.argv[1:4])
