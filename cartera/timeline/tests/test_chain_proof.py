"""docs/timeline-chain.md's verification script checks a real export of ``chain_proof``."""

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from cartera.timeline.choices import ActivityKind
from cartera.timeline.integrity import anchor_chain, chain_proof
from cartera.timeline.services import record_activity

DOC = Path(__file__).resolve().parents[3] / "docs" / "timeline-chain.md"


def _script(tmp_path: Path) -> Path:
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"<!-- verify-script -->\n```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 22
    path = tmp_path / "verify_proof.py"
    path.write_text(code, encoding="utf-8")
    return path


def _run(script: Path, proof: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), str(path)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def entries(debtor_a):
    org = debtor_a.organization
    made = [
        record_activity(
            organization=org,
            customer=debtor_a,
            kind=ActivityKind.NOTE,
            summary=f"Llamada nº {n} — acordó pagar",
            data={"monto": "1500.00", "detalle": {"ñ": n, "lista": [1, 2.5, None]}},
        )
        for n in range(3)
    ]
    anchor_chain(organization_id=org.pk, day=dt.date(2026, 11, 30))
    return made


def test_the_docs_script_verifies_a_real_export(entries, debtor_a, tmp_path, capsys):
    org = debtor_a.organization
    call_command(
        "timeline", "proof", "--org", org.slug, "--entries", f"{entries[0].pk},{entries[2].pk}"
    )
    proof = json.loads(capsys.readouterr().out)
    assert proof == chain_proof(organization_id=org.pk, entry_ids=[entries[0].pk, entries[2].pk])
    assert [e["id"] for e in proof["entries"]] == [entries[0].pk, entries[2].pk]
    assert proof["entries"][1]["previous_hash"] == entries[1].chain_hash
    assert proof["anchor"]["sequence"] == entries[2].sequence
    result = _run(_script(tmp_path), proof, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"ok: 2 entries, anchor of 2026-11-30 #{entries[2].sequence} signed"
    )


def test_the_docs_script_refuses_an_edited_entry_and_a_forged_anchor(entries, debtor_a, tmp_path):
    org = debtor_a.organization
    script = _script(tmp_path)
    proof = chain_proof(organization_id=org.pk, entry_ids=[e.pk for e in entries])
    proof["entries"][1]["content"]["summary"] = "Otra cosa"
    result = _run(script, proof, tmp_path)
    assert result.returncode == 1
    assert f"entry {entries[1].pk} (sequence {entries[1].sequence})" in result.stderr
    proof = chain_proof(organization_id=org.pk, entry_ids=[entries[0].pk])
    proof["anchor"]["sequence"] += 1
    result = _run(script, proof, tmp_path)
    assert result.returncode == 1
    assert "InvalidSignature" in result.stderr


def test_a_proof_refuses_entries_of_another_organisation(entries, debtor_b):
    with pytest.raises(LookupError):
        chain_proof(organization_id=debtor_b.organization.pk, entry_ids=[entries[0].pk])
