#!/usr/bin/env python3
"""Checks a pain.001 document with tools independent of Reimburse's writer.

Usage: check-payment-document.py FILE  -> prints one JSON object:
  format          the namespace's message (pain.001.001.09 / .03)
  schema_errors   messages of xmlschema against the XSD shipped in sepaxml (empty: valid)
  group           {"transactions": n, "control_sum": "..."} as written in GrpHdr
  counted         {"transactions": n, "control_sum": "..."} recomputed from the transfers
  blocks          per PmtInf: id, kind (SEPA when SvcLvl/Cd is SEPA), charges, date, n, sum, counted n, counted sum
  ibans, bics     every IBAN/BIC with schwifty's verdict (true: valid)
  outside_sepa_set  texts of SEPA blocks and all identifiers that leave the SEPA Latin set
  bad_identifiers identifiers longer than 35 or with leading/trailing/double '/'
  amounts         [currency, text] of every InstdAmt
  names, remittances  texts as parsed (entities resolved)
  sha256          hashlib's digest of the file's bytes
"""
import hashlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal

import schwifty
import sepaxml
import xmlschema

SEPA_SET = re.compile(r"^[a-zA-Z0-9/\-?:().,'+ ]*$")


def main(path):
    data = open(path, "rb").read()
    root = ET.fromstring(data)
    namespace = root.tag[1:].split("}")[0]
    fmt = namespace.rsplit(":", 1)[-1]
    ns = {"p": namespace}
    xsd = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", fmt + ".xsd")
    schema = xmlschema.XMLSchema(xsd)
    errors = [str(e.reason or e.message) for e in schema.iter_errors(path)]

    def text(node, tag):
        found = node.find(tag, ns)
        return None if found is None else found.text

    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    blocks = []
    all_amounts = []
    texts_outside = []
    identifiers = [text(header, "p:MsgId")]
    names = []
    remittances = []
    ibans = []
    bics = []
    for block in root.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns):
        sepa = text(block, "p:PmtTpInf/p:SvcLvl/p:Cd") == "SEPA"
        date = text(block, "p:ReqdExctnDt/p:Dt") or text(block, "p:ReqdExctnDt")
        identifiers.append(text(block, "p:PmtInfId"))
        amounts = []
        block_texts = [text(block, "p:Dbtr/p:Nm")]
        ibans.append(text(block, "p:DbtrAcct/p:Id/p:IBAN"))
        for bic_tag in ("p:DbtrAgt/p:FinInstnId/p:BICFI", "p:DbtrAgt/p:FinInstnId/p:BIC"):
            if text(block, bic_tag):
                bics.append(text(block, bic_tag))
        for tx in block.findall("p:CdtTrfTxInf", ns):
            amount = tx.find("p:Amt/p:InstdAmt", ns)
            amounts.append(Decimal(amount.text))
            all_amounts.append([amount.get("Ccy"), amount.text])
            identifiers.append(text(tx, "p:PmtId/p:EndToEndId"))
            name = text(tx, "p:Cdtr/p:Nm")
            remittance = text(tx, "p:RmtInf/p:Ustrd")
            names.append(name)
            remittances.append(remittance)
            block_texts += [name, remittance]
            ibans.append(text(tx, "p:CdtrAcct/p:Id/p:IBAN"))
            for bic_tag in ("p:CdtrAgt/p:FinInstnId/p:BICFI", "p:CdtrAgt/p:FinInstnId/p:BIC"):
                if text(tx, bic_tag):
                    bics.append(text(tx, bic_tag))
        if sepa:
            texts_outside += [t for t in block_texts if t is not None and not SEPA_SET.match(t)]
        blocks.append({
            "id": text(block, "p:PmtInfId"), "kind": "sepa" if sepa else "generic",
            "charges": text(block, "p:ChrgBr"), "date": date,
            "transactions": int(text(block, "p:NbOfTxs")), "control_sum": text(block, "p:CtrlSum"),
            "counted_transactions": len(amounts), "counted_sum": str(sum(amounts, Decimal(0))),
        })
    texts_outside += [i for i in identifiers if i is not None and (not SEPA_SET.match(i) or " " in i)]
    bad_ids = [i for i in identifiers
               if i is None or len(i) > 35 or i.startswith("/") or i.endswith("/") or "//" in i]

    def iban_ok(value):
        try:
            schwifty.IBAN(value)
            return True
        except Exception:
            return False

    def bic_ok(value):
        try:
            schwifty.BIC(value)
            return True
        except Exception:
            return False

    print(json.dumps({
        "format": fmt,
        "schema_errors": errors,
        "group": {"transactions": int(text(header, "p:NbOfTxs")), "control_sum": text(header, "p:CtrlSum")},
        "counted": {"transactions": len(all_amounts),
                    "control_sum": str(sum((Decimal(a) for _, a in all_amounts), Decimal(0)))},
        "blocks": blocks,
        "ibans": {i: iban_ok(i) for i in ibans},
        "bics": {b: bic_ok(b) for b in bics},
        "outside_sepa_set": texts_outside,
        "bad_identifiers": bad_ids,
        "amounts": all_amounts,
        "names": names,
        "remittances": remittances,
        "sha256": hashlib.sha256(data).hexdigest(),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
