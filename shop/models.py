"""Every model, imported in one place so that Alembic and the app see the whole schema."""

from shop.audit.models import AuditEntry
from shop.auth.models import LoginSession, Registration, StaffProfile, User, staff_specialties
from shop.cart.models import Cart, CartLine
from shop.catalog.models import (
    CatalogGeneration,
    Category,
    DeliveryOption,
    Product,
    ProductDocument,
    ProductImage,
    ProductSpec,
    SpecAttribute,
    StockReservation,
    Variant,
)
from shop.checkout.models import Checkout
from shop.consultations.models import (
    Booking,
    BookingEvent,
    RepSchedule,
    ScheduleException,
    TimeOff,
    WorkingHours,
)
from shop.credit.models import CreditAccount, StoreCredit
from shop.delivery.models import DeliveryAppointment, DeliveryEvent
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.payments.models import Payment, Refund, TransferReceipt, WebhookEvent
from shop.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteMessage, QuoteVersion
from shop.research.models import ResearchEvent
from shop.support.models import (
    Attachment,
    CreditGrant,
    ProductAnswer,
    ProductQuestion,
    ReturnRequest,
    Ticket,
    TicketEvent,
    TicketLine,
    TicketMessage,
    WarrantyRegistration,
)

__all__ = [
    "Attachment",
    "AuditEntry",
    "Booking",
    "BookingEvent",
    "Cart",
    "CartLine",
    "CatalogGeneration",
    "Category",
    "Checkout",
    "CreditAccount",
    "CreditGrant",
    "DeliveryAppointment",
    "DeliveryEvent",
    "DeliveryOption",
    "LoginSession",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "Payment",
    "Product",
    "ProductAnswer",
    "ProductDocument",
    "ProductImage",
    "ProductQuestion",
    "ProductSpec",
    "Quote",
    "QuoteEvent",
    "QuoteLine",
    "QuoteMessage",
    "QuoteVersion",
    "Refund",
    "Registration",
    "RepSchedule",
    "ResearchEvent",
    "ReturnRequest",
    "ScheduleException",
    "SpecAttribute",
    "StaffProfile",
    "StockReservation",
    "StoreCredit",
    "Ticket",
    "TicketEvent",
    "TicketLine",
    "TicketMessage",
    "TimeOff",
    "TransferReceipt",
    "User",
    "Variant",
    "WarrantyRegistration",
    "WebhookEvent",
    "WorkingHours",
    "staff_specialties",
]
