"""Stamped invoice XMLs (built with satcfdi, signed with a test CSD) for the REP tests."""

import datetime as dt
from decimal import Decimal

from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40

from cartera.payments.services import allocate_payment, record_payment
from cartera.testing.csd import signer_for

ISSUER = {"Rfc": "DNO990101AB1", "Nombre": "DISTRIBUIDORA NORTE", "RegimenFiscal": "601"}
RECEIVER = {
    "Rfc": "FTU010203AB4",
    "Nombre": "FERRETERIA LA TUERCA",
    "DomicilioFiscalReceptor": "64000",
    "RegimenFiscalReceptor": "601",
    "UsoCFDI": "G03",
}


def invoice_xml(
    uuid: str, *, unit=Decimal("1000"), rate="0.160000", isr=None, currency="MXN", taxes=True
) -> bytes:
    impuestos = None
    if taxes:
        impuestos = {
            "Traslados": [
                cfdi40.Traslado(impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal(rate))
            ]
        }
        if isr:
            impuestos["Retenciones"] = [
                cfdi40.Retencion(impuesto="001", tipo_factor="Tasa", tasa_o_cuota=Decimal(isr))
            ]
    comprobante = cfdi40.Comprobante(
        emisor=ISSUER,
        lugar_expedicion="64000",
        receptor=RECEIVER,
        metodo_pago="PPD",
        forma_pago="99",
        moneda=currency,
        tipo_cambio=Decimal("17.50") if currency != "MXN" else None,
        fecha=dt.datetime(2026, 9, 1, 10),
        conceptos=[
            cfdi40.Concepto(
                clave_prod_serv="01010101",
                cantidad=1,
                clave_unidad="E48",
                descripcion="Servicio",
                valor_unitario=unit,
                impuestos=impuestos,
                objeto_imp="02" if taxes else "01",
            )
        ],
    )
    comprobante.sign(signer_for(ISSUER["Rfc"]))
    tfd = CFDI(
        {
            "Version": "1.1",
            "UUID": uuid,
            "FechaTimbrado": dt.datetime(2026, 9, 1, 12),
            "RfcProvCertif": "SAT970701NN3",
            "SelloCFD": comprobante["Sello"],
            "NoCertificadoSAT": "30001000000400002495",
            "SelloSAT": "y",
        }
    )
    tfd.tag = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
    comprobante["Complemento"] = {"TimbreFiscalDigital": tfd}
    return comprobante.xml_bytes()


def total_of(xml: bytes) -> Decimal:
    return CFDI.from_string(xml)["Total"]


def pay(invoice, amount, *, source="manual", actor=None):
    payment = record_payment(
        customer=invoice.customer,
        actor=actor,
        date=dt.date(2026, 10, 20),
        amount=amount,
        currency="MXN",
        source=source,
        external_id=f"{source}-{amount}",
    )
    allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
    return payment
