"""CFDI files for the import tests, written as the SAT schema has them, signed with a
test CSD of the issuer (``cartera.testing.csd``) and stamped with a TimbreFiscalDigital."""

import datetime as dt

from satcfdi.cfdi import CFDI

from cartera.testing.csd import signer_for

HERRERIA = "H&amp;E951128469"
KIJ = ("KIJ0906199R1", "KIJ, S.A DE C.V.")
OTHER = ("XIA190128J61", "XENON INDUSTRIAL ARTICLES")
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"


def tfd(uuid: str) -> str:
    return (
        f'<tfd:TimbreFiscalDigital xmlns:tfd="{TFD_NS}" Version="1.1" UUID="{uuid}" '
        'FechaTimbrado="2026-09-01T12:00:00" RfcProvCertif="SAT970701NN3" SelloCFD="x" '
        'NoCertificadoSAT="30001000000400002495" SelloSAT="y"/>'
    )


def signed(xml: str, *uuids: str) -> bytes:
    """Sign ``xml`` with a test CSD of its issuer, then add one SAT stamp per UUID."""
    xml = xml.replace(
        "<cfdi:Comprobante ", '<cfdi:Comprobante Sello="" NoCertificado="" Certificado="" ', 1
    )
    unsigned = CFDI.from_string(xml.encode())
    unsigned.sign(signer_for(unsigned["Emisor"]["Rfc"]))
    text = unsigned.xml_bytes().decode()
    stamps = "".join(tfd(uuid) for uuid in uuids)
    if "</cfdi:Complemento>" in text:
        return text.replace("</cfdi:Complemento>", stamps + "</cfdi:Complemento>").encode()
    return text.replace(
        "</cfdi:Comprobante>", f"<cfdi:Complemento>{stamps}</cfdi:Complemento></cfdi:Comprobante>"
    ).encode()


def cfdi40(
    uuid,
    *,
    tipo="I",
    total="1160.00",
    currency="MXN",
    rate="",
    method="PPD",
    receptor=KIJ,
    relations=(),
    folio="1",
    stamps=None,
) -> bytes:
    subtotal = f"{float(total) / 1.16:.2f}"
    iva = f"{float(total) - float(subtotal):.2f}"
    exchange = f' TipoCambio="{rate}"' if rate else ""
    related = "".join(
        f'<cfdi:CfdiRelacionados TipoRelacion="{kind}">'
        f'<cfdi:CfdiRelacionado UUID="{other}"/></cfdi:CfdiRelacionados>'
        for kind, other in relations
    )
    pay = (
        f' MetodoPago="{method}" FormaPago="99"'
        if tipo == "I"
        else ' MetodoPago="PUE" FormaPago="03"'
    )
    xml = (
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" Serie="G" '
        f'Folio="{folio}" Fecha="2026-09-01T10:00:00" SubTotal="{subtotal}" Moneda="{currency}"'
        f'{exchange} Total="{total}" TipoDeComprobante="{tipo}" Exportacion="01"{pay} '
        'LugarExpedicion="56820">'
        f"{related}"
        f'<cfdi:Emisor Rfc="{HERRERIA}" Nombre="HERRERIA &amp; ELECTRICOS" RegimenFiscal="601"/>'
        f'<cfdi:Receptor Rfc="{receptor[0]}" Nombre="{receptor[1]}" '
        'DomicilioFiscalReceptor="59820" RegimenFiscalReceptor="601" UsoCFDI="G03"/>'
        '<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="01010101" Cantidad="1" ClaveUnidad="E48" '
        f'Descripcion="Servicio" ValorUnitario="{subtotal}" Importe="{subtotal}" ObjetoImp="02">'
        f'<cfdi:Impuestos><cfdi:Traslados><cfdi:Traslado Base="{subtotal}" Impuesto="002" '
        f'TipoFactor="Tasa" TasaOCuota="0.160000" Importe="{iva}"/></cfdi:Traslados>'
        "</cfdi:Impuestos></cfdi:Concepto></cfdi:Conceptos>"
        f'<cfdi:Impuestos TotalImpuestosTrasladados="{iva}"><cfdi:Traslados>'
        f'<cfdi:Traslado Base="{subtotal}" Impuesto="002" TipoFactor="Tasa" '
        f'TasaOCuota="0.160000" Importe="{iva}"/></cfdi:Traslados></cfdi:Impuestos>'
        "</cfdi:Comprobante>"
    )
    return signed(xml, *(stamps or [uuid]))


def pago20(uuid, documents, *, currency="MXN", amount, rate="1", day=10, receptor=KIJ) -> bytes:
    """``documents``: (uuid, currency, equivalence, before, paid, installment)."""
    rows = "".join(
        f'<pago20:DoctoRelacionado IdDocumento="{doc}" MonedaDR="{cur}" EquivalenciaDR="{eq}" '
        f'NumParcialidad="{n}" ImpSaldoAnt="{before}" ImpPagado="{paid}" '
        f'ImpSaldoInsoluto="{before_minus(before, paid)}" ObjetoImpDR="01"/>'
        for doc, cur, eq, before, paid, n in documents
    )
    total_mxn = f"{float(amount) * float(rate):.2f}"
    xml = (
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" '
        'xmlns:pago20="http://www.sat.gob.mx/Pagos20" Version="4.0" Serie="P" Folio="1" '
        f'Fecha="2026-09-{day:02d}T12:00:00" SubTotal="0" Moneda="XXX" Total="0" '
        'TipoDeComprobante="P" Exportacion="01" LugarExpedicion="56820">'
        f'<cfdi:Emisor Rfc="{HERRERIA}" Nombre="HERRERIA &amp; ELECTRICOS" RegimenFiscal="601"/>'
        f'<cfdi:Receptor Rfc="{receptor[0]}" Nombre="{receptor[1]}" '
        'DomicilioFiscalReceptor="59820" RegimenFiscalReceptor="601" UsoCFDI="CP01"/>'
        '<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="ACT" '
        'Descripcion="Pago" ValorUnitario="0" Importe="0" ObjetoImp="01"/></cfdi:Conceptos>'
        '<cfdi:Complemento><pago20:Pagos Version="2.0">'
        f'<pago20:Totales MontoTotalPagos="{total_mxn}"/>'
        f'<pago20:Pago FechaPago="2026-09-{day:02d}T12:00:00" FormaDePagoP="03" '
        f'MonedaP="{currency}" TipoCambioP="{rate}" Monto="{amount}">{rows}</pago20:Pago>'
        "</pago20:Pagos></cfdi:Complemento></cfdi:Comprobante>"
    )
    return signed(xml, uuid)


def before_minus(before, paid) -> str:
    return f"{float(before) - float(paid):.2f}"


def pago10_without_imp_pagado(uuid, invoice_uuid, *, amount, before) -> bytes:
    """CFDI 3.3 with Pagos 1.0 paying one document and omitting ImpPagado (allowed)."""
    xml = (
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" '
        'xmlns:pago10="http://www.sat.gob.mx/Pagos" Version="3.3" Serie="P" Folio="9" '
        'Fecha="2021-03-10T12:00:00" SubTotal="0" Moneda="XXX" Total="0" '
        'TipoDeComprobante="P" LugarExpedicion="56820">'
        f'<cfdi:Emisor Rfc="{HERRERIA}" Nombre="HERRERIA &amp; ELECTRICOS" RegimenFiscal="601"/>'
        f'<cfdi:Receptor Rfc="{KIJ[0]}" Nombre="{KIJ[1]}" UsoCFDI="P01"/>'
        '<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="ACT" '
        'Descripcion="Pago" ValorUnitario="0" Importe="0"/></cfdi:Conceptos>'
        '<cfdi:Complemento><pago10:Pagos Version="1.0">'
        '<pago10:Pago FechaPago="2021-03-10T12:00:00" FormaDePagoP="03" MonedaP="MXN" '
        f'Monto="{amount}"><pago10:DoctoRelacionado IdDocumento="{invoice_uuid}" '
        f'MonedaDR="MXN" MetodoDePagoDR="PPD" NumParcialidad="1" ImpSaldoAnt="{before}"/>'
        "</pago10:Pago></pago10:Pagos></cfdi:Complemento></cfdi:Comprobante>"
    )
    return signed(xml, uuid)


def egreso33(uuid, related_uuid, *, total="116.00", relation="01") -> bytes:
    """CFDI 3.3 credit note (one CfdiRelacionados group: satcfdi reads it as a mapping)."""
    xml = (
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" Version="3.3" Serie="NC" '
        f'Folio="3" Fecha="2021-03-12T12:00:00" SubTotal="{total}" Moneda="MXN" Total="{total}" '
        'TipoDeComprobante="E" FormaPago="15" MetodoPago="PUE" LugarExpedicion="56820">'
        f'<cfdi:CfdiRelacionados TipoRelacion="{relation}">'
        f'<cfdi:CfdiRelacionado UUID="{related_uuid}"/></cfdi:CfdiRelacionados>'
        f'<cfdi:Emisor Rfc="{HERRERIA}" Nombre="HERRERIA &amp; ELECTRICOS" RegimenFiscal="601"/>'
        f'<cfdi:Receptor Rfc="{KIJ[0]}" Nombre="{KIJ[1]}" UsoCFDI="G02"/>'
        '<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="ACT" '
        f'Descripcion="Descuento" ValorUnitario="{total}" Importe="{total}"/></cfdi:Conceptos>'
        "</cfdi:Comprobante>"
    )
    return signed(xml, uuid)


def when(day: int) -> dt.date:
    return dt.date(2026, 9, day)
