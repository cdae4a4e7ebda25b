"""The debtor's statement names each invoice's purchase order."""

from cartera.invoices.models import Invoice


def test_statement_shows_the_purchase_order(portal_client, invoice_a, second_invoice_a):
    Invoice.objects.filter(pk=invoice_a.pk).update(purchase_order="OC-4500")
    html = portal_client(invoice_a.customer).get("/p/").content.decode()
    assert html.count("data-purchase-order") == 1
    assert "Orden de compra OC-4500" in html
