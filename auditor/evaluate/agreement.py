"""Measure the auditor against human labels (format: a labelled corpus's LABELING.md).

For every labelled notebook: audit it (without executing: reading is what is measured), then
compare, per question id, answered/unanswered, and, per labelled claim, the claimed value
(plus ``formula_ok`` and ``code_filled`` where labelled). A *false pass* is a labelled claim
that differs from the key but that the auditor shows as ``pass``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from auditor.report.result_json import result_to_dict

ANSWERED_STATUSES = {"pass", "fail", "review", "manual", "error"}


@dataclass
class Disagreement:
    notebook: str
    item: str
    what: str            # "answered" | "claimed" | "formula_ok" | "code_filled" | "false-pass" | "misread-fail" | "variant" | "error"
    label: Any
    got: Any
    evidence: str = ""


@dataclass
class Evaluation:
    answered_total: int = 0
    answered_agree: int = 0
    claims_total: int = 0
    claims_agree: int = 0
    false_passes: int = 0
    misread_fails: int = 0      # fail where the label's claim is not a definite wrong answer
    checkable: int = 0          # answered items a check judges (pass / fail / review)
    reviews: int = 0            # of those, review
    reading_reviews: int = 0    # of the reviews, those due to the reading (unreadable, hedged, unsure claim)
    contested_reviews: int = 0  # of the reviews, a readable claim against a contested key (by design)
    notebooks: int = 0
    errors: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    per_notebook: dict[str, "Evaluation"] = field(default_factory=dict)

    COUNTS = ("answered_total", "answered_agree", "claims_total", "claims_agree", "false_passes", "misread_fails",
              "checkable", "reviews", "reading_reviews", "contested_reviews", "notebooks",
              "errors")

    def add(self, other: "Evaluation") -> None:
        """Fold ``other``'s counts and disagreements into this one."""
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.disagreements.extend(other.disagreements)

    @property
    def review_rate(self) -> float:
        return self.reviews / self.checkable if self.checkable else 0.0

    @property
    def agreement(self) -> float:
        return self.answered_agree / self.answered_total if self.answered_total else 1.0

    @property
    def claims(self) -> float:
        return self.claims_agree / self.claims_total if self.claims_total else 1.0

    def last_line(self) -> str:
        return (f"agreement {self.agreement:.1%} ({self.answered_agree}/{self.answered_total}), "
                f"claims {self.claims:.1%} ({self.claims_agree}/{self.claims_total}), "
                f"false passes {self.false_passes}, misread fails {self.misread_fails}, "
                f"review rate {self.review_rate:.1%} ({self.reviews}/{self.checkable}: "
                f"{self.reading_reviews} reading = {self._share(self.reading_reviews):.1%}, "
                f"{self.contested_reviews} contested key, {self.reviews - self.reading_reviews - self.contested_reviews} other)")

    def _share(self, n: int) -> float:
        return n / self.checkable if self.checkable else 0.0


def same_claim(label: Any, got: Any) -> bool:
    if label is None or got is None:
        return label is None and got is None
    if isinstance(label, bool) or isinstance(got, bool):
        return label is got or label == got
    if isinstance(label, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(float(label), float(got), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(label, list) and isinstance(got, (list, tuple)):
        return [int(x) for x in label] == [int(x) for x in got]
    return str(label).strip().lower() == str(got).strip().lower()


def _key_differs(claim: Any, expected: Any) -> bool:
    if expected is None or claim is None:
        return False
    return not same_claim(claim, expected)


def _definite_wrong(claimed: Any, expected: Any) -> bool:
    """The label holds a definite claim that differs from the key: the only ground for a fail."""
    if claimed is None or expected is None or str(claimed).strip().lower() == "hedged":
        return False
    return not same_claim(claimed, expected)


def evaluate_one(label: dict, result: dict, ev: Evaluation) -> None:
    name = label.get("file", "?")
    ev.notebooks += 1
    if result.get("error"):
        ev.errors += 1
        ev.disagreements.append(Disagreement(name, "*", "error", None, result["error"]))
        for item_id in label.get("items", {}):
            ev.answered_total += 1
        return
    variant = label.get("variant")
    got_variant = (result.get("assignment") or {}).get("variant")
    if variant and got_variant != variant:
        ev.disagreements.append(Disagreement(name, "*", "variant", variant, got_variant))
    by_id = {q["id"]: q for q in result.get("questions", [])}
    for item_id, item in label.get("items", {}).items():
        q = by_id.get(item_id)
        ev.answered_total += 1
        elsewhere = item.get("answered") == "elsewhere" or item.get("claimed") == "elsewhere"
        if elsewhere:
            ok = q is not None and q["status"] == "manual"
            got_answered: Any = q["status"] if q else None
        else:
            got_answered = (q["status"] in ANSWERED_STATUSES) if q else None
            ok = got_answered == item.get("answered")
        if ok:
            ev.answered_agree += 1
        else:
            ev.disagreements.append(Disagreement(name, item_id, "answered", "elsewhere" if elsewhere else item.get("answered"),
                                                 got_answered, (q or {}).get("answer_excerpt", "")[:100]))
        if elsewhere or q is None:
            continue
        if q.get("check") not in (None, "answered") and q["status"] in ("pass", "fail", "review"):
            ev.checkable += 1
            if q["status"] == "review":
                ev.reviews += 1
                d = q.get("details") or {}
                reading = bool(d.get("claim_unreadable") or "claim_confidence" in d
                               or str(q.get("claimed")).lower() == "hedged")
                ev.reading_reviews += reading
                ev.contested_reviews += bool(not reading and q.get("contested"))
        details = q.get("details") or {}
        claim_extra = details.get("claim") or {}
        if "claimed" in item:
            ev.claims_total += 1
            got = q.get("claimed")
            if same_claim(item["claimed"], got):
                ev.claims_agree += 1
            else:
                ev.disagreements.append(Disagreement(name, item_id, "claimed", item["claimed"], got,
                                                     q.get("evidence") or item.get("evidence", "")))
            if q["status"] == "pass" and _key_differs(item["claimed"], q.get("expected")):
                ev.false_passes += 1
                ev.disagreements.append(Disagreement(name, item_id, "false-pass", item["claimed"], q.get("expected")))
            if q["status"] == "fail" and not _definite_wrong(item["claimed"], q.get("expected")):
                ev.misread_fails += 1
                ev.disagreements.append(Disagreement(name, item_id, "misread-fail", item["claimed"], q.get("claimed"),
                                                     q.get("evidence", "")))
        if "formula_ok" in item:
            ev.claims_total += 1
            got = details.get("formula_ok", claim_extra.get("formula_ok"))
            if same_claim(item["formula_ok"], got):
                ev.claims_agree += 1
            else:
                ev.disagreements.append(Disagreement(name, item_id, "formula_ok", item["formula_ok"], got,
                                                     claim_extra.get("formula", "")))
        if "code_filled" in item:
            ev.claims_total += 1
            got = q.get("claimed") if isinstance(q.get("claimed"), bool) else details.get("code_filled")
            if got is None and item["code_filled"] is False and q["status"] == "unanswered":
                got = False
            if same_claim(item["code_filled"], got):
                ev.claims_agree += 1
            else:
                ev.disagreements.append(Disagreement(name, item_id, "code_filled", item["code_filled"], got))


def evaluate(labels_dir: str | Path, notebooks_dir: str | Path, *,
             audit_fn: Callable[[Path], dict] | None = None, on_result: Callable[[str, dict], None] | None = None
             ) -> Evaluation:
    """Audit every labelled notebook (no execution) and compare with its label file."""
    if audit_fn is None:
        from auditor.pipeline import audit

        def audit_fn(path: Path) -> dict:
            return result_to_dict(audit(path, execute=False))

    ev = Evaluation()
    for label_path in sorted(Path(labels_dir).glob("*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        nb_path = Path(notebooks_dir) / label.get("file", label_path.stem + ".ipynb")
        if not nb_path.exists():
            ev.disagreements.append(Disagreement(label_path.name, "*", "error", "notebook", "missing"))
            ev.errors += 1
            continue
        result = audit_fn(nb_path)
        if on_result:
            on_result(nb_path.name, result)
        one = Evaluation()
        evaluate_one(label, result, one)
        ev.per_notebook[nb_path.name] = one
        ev.add(one)
    return ev


def format_disagreements(ev: Evaluation) -> Iterable[str]:
    for d in ev.disagreements:
        ev_text = f"  [{d.evidence[:80]!r}]" if d.evidence else ""
        yield f"{d.notebook[:70]}  {d.item}  {d.what}: label={d.label!r} got={d.got!r}{ev_text}"
