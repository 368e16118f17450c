from trytond.pool import Pool

from . import sale


def register():
    Pool.register(sale.Sale, module='kiosk_order_ref', type_='model')
