"""JSON schemas of the fiscal receipt each provider documents, for asserting what we send.

YooKassa API v3, `receipt` of POST /payments and POST /refunds (yookassa.ru/developers →
"Параметры чека для 54-ФЗ"): a customer with an e-mail or a phone, up to 100 items, each with
a description of up to 128 characters, a quantity, the unit price `amount` {value, currency},
a `vat_code` 1–12 and the payment subject and mode; `tax_system_code` 1–6.

T-Bank acquiring API v2, `Receipt` of Init and Cancel (tbank.ru/kassa/dev/payments →
"Receipt_FFD_105"): Email or Phone, Taxation, Items with Name (≤128), Price and Amount in
kopecks, Quantity, Tax, PaymentMethod and PaymentObject.
"""

PAYMENT_SUBJECTS = [
    "commodity", "excise", "job", "service", "gambling_bet", "gambling_prize", "lottery",
    "lottery_prize", "intellectual_activity", "payment", "agent_commission", "property_right",
    "non_operating_gain", "insurance_premium", "sales_tax", "resort_fee", "composite", "another",
]  # fmt: skip
PAYMENT_MODES = [
    "full_prepayment", "prepayment", "advance", "full_payment", "partial_payment", "credit",
    "credit_payment",
]  # fmt: skip

TAXES = [
    "none", "vat0", "vat5", "vat7", "vat10", "vat20", "vat22", "vat105", "vat107", "vat110",
    "vat120", "vat122",
]  # fmt: skip

YOOKASSA_RECEIPT = {
    "type": "object",
    "required": ["customer", "items"],
    "properties": {
        "customer": {
            "type": "object",
            "properties": {
                "full_name": {"type": "string", "maxLength": 256},
                "inn": {"type": "string", "pattern": r"^(\d{10}|\d{12})$"},
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string", "pattern": r"^\d{11,15}$"},
            },
            "anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
            "additionalProperties": False,
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "required": ["description", "amount", "vat_code", "quantity"],
                "properties": {
                    "description": {"type": "string", "minLength": 1, "maxLength": 128},
                    "quantity": {"type": "string", "pattern": r"^\d+(\.\d{1,3})?$"},
                    "amount": {
                        "type": "object",
                        "required": ["value", "currency"],
                        "properties": {
                            "value": {"type": "string", "pattern": r"^\d+\.\d{2}$"},
                            "currency": {"enum": ["RUB"]},
                        },
                        "additionalProperties": False,
                    },
                    "vat_code": {"type": "integer", "minimum": 1, "maximum": 12},
                    "payment_subject": {"enum": PAYMENT_SUBJECTS},
                    "payment_mode": {"enum": PAYMENT_MODES},
                },
            },
        },
        "tax_system_code": {"type": "integer", "minimum": 1, "maximum": 6},
    },
}

TBANK_RECEIPT = {
    "type": "object",
    "required": ["Taxation", "Items"],
    "anyOf": [{"required": ["Email"]}, {"required": ["Phone"]}],
    "properties": {
        "Email": {"type": "string", "format": "email", "maxLength": 64},
        "Phone": {"type": "string", "pattern": r"^\+?\d{11,15}$", "maxLength": 64},
        "Taxation": {"enum": ["osn", "usn_income", "usn_income_outcome", "envd", "esn", "patent"]},
        "FfdVersion": {"enum": ["1.05", "1.2"]},
        "Items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "required": ["Name", "Price", "Quantity", "Amount", "Tax"],
                "properties": {
                    "Name": {"type": "string", "minLength": 1, "maxLength": 128},
                    "Price": {"type": "integer", "minimum": 0},
                    "Quantity": {"type": "number", "exclusiveMinimum": 0},
                    "Amount": {"type": "integer", "minimum": 0},
                    "Tax": {"enum": TAXES},
                    "PaymentMethod": {"enum": PAYMENT_MODES},
                    "PaymentObject": {"enum": PAYMENT_SUBJECTS},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
