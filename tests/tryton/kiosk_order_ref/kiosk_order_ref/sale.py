from trytond.model import Unique, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.point.sale'

    # Settable on create only: a sale keeps the order it was made for.
    kiosk_ref = fields.Char(
        "Kiosk Reference", strip=False,
        states={'readonly': Eval('id', -1) >= 0})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('kiosk_ref_unique', Unique(t, t.kiosk_ref),
                'kiosk_order_ref.msg_kiosk_ref_unique'),
            ]

    @classmethod
    def copy(cls, sales, default=None):
        default = dict(default or {})
        default.setdefault('kiosk_ref')
        return super().copy(sales, default=default)
