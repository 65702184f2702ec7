"""Typed records shared by every stage and the provenance statement; no I/O."""

from transship.model.records import (
    RECORDS,
    ArmsTIV,
    ArmsTransfer,
    Claim,
    Document,
    EndUseCertificate,
    Entity,
    IngestRun,
    Licence,
    LicenceStatistic,
    Record,
    RejectRow,
    Shipment,
    Source,
    Statement,
    TradeFlow,
)

__all__ = [
    "RECORDS",
    "ArmsTIV",
    "ArmsTransfer",
    "Claim",
    "Document",
    "EndUseCertificate",
    "Entity",
    "IngestRun",
    "Licence",
    "LicenceStatistic",
    "Record",
    "RejectRow",
    "Shipment",
    "Source",
    "Statement",
    "TradeFlow",
]
