"""One line per fact: a run's findings, freezes and diagnostics merged and counted.

The same fact reaches the reader by several roads: the watchdog records a block *and* a
``blocked-loop`` diagnostic for it, a demo's ``check`` restates it as a finding, a script's
general findings repeat every diagnostic, and a thread that calls into the loop from outside
can raise the same diagnostic hundreds of times. :func:`facts` makes one :class:`Fact` of each:

- a block and the ``blocked-loop`` diagnostic that closed it are one fact, at the block's start;
- diagnostics with the same kind, message and line are one fact with a ``count`` (``× 292``);
- a finding about a block or diagnostic is merged into it: the finding's verdict and place in
  the list, the block's or diagnostic's time and line. Which one it is about: its
  ``data["at_ns"]`` (the block's start or the diagnostic's time), else the same sentence (the
  finding's text equals the other's or quotes it). A finding that names its block keeps its
  own sentence (the demo's lesson), the block's line added;
- the run's status, when it did not simply finish, comes right after the findings.

Pure (no Qt): the findings panel and ``loopviz run``'s summary both list these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from loopviz.trace.model import Trace
from loopviz.trace.records import Finding
from loopviz.trace.wording import block_sentence, place


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of a run's findings. ``t_ns``/``file``/``line`` say where it happened (first
    occurrence); ``count`` how many identical reports it stands for."""

    text: str
    ok: bool
    kind: str = "finding"  # finding | status | block | diagnostic
    t_ns: int | None = None
    file: str = ""
    line: int = 0
    count: int = 1
    # every time (ns) this fact stands for: a block's start and its diagnostic's, each repeat
    times: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @property
    def shown(self) -> str:
        """The text with its repeat count: ``... × 292``."""
        return f"{self.text}  × {self.count}" if self.count > 1 else self.text


def timed_facts(trace: Trace) -> list[Fact]:
    """Blocks and diagnostics, one fact each (repeats counted), in time order."""
    out: list[Fact] = []
    said = {d.t_ns: d for d in trace.diagnostics if d.kind == "blocked-loop"}
    used: set[int] = set()
    for b in trace.blocks:
        diag = said.get(b.end_ns)
        times: tuple[int, ...] = (b.start_ns,)
        if diag is not None:
            used.add(id(diag))
            text, times = diag.message, (b.start_ns, diag.t_ns)
        else:
            text = block_sentence(b)
        out.append(Fact(text, False, "block", b.start_ns, b.file, b.line, times=times))
    grouped: dict[tuple[str, str, str, int], int] = {}
    for d in trace.diagnostics:
        if id(d) in used:
            continue
        key = (d.kind, d.message, d.file, d.line)
        if key in grouped:
            i = grouped[key]
            out[i] = replace(out[i], count=out[i].count + d.count,
                             times=(*out[i].times, d.t_ns))
            continue
        grouped[key] = len(out)
        out.append(Fact(f"{d.kind}: {d.message}", False, "diagnostic", d.t_ns, d.file, d.line,
                        d.count, times=(d.t_ns,)))
    out.sort(key=lambda f: f.t_ns or 0)
    return out


def _sentence(fact: Fact) -> str:
    """A timed fact's sentence without its ``kind:`` prefix."""
    head, sep, rest = fact.text.partition(": ")
    return rest if sep and fact.kind == "diagnostic" and " " not in head else fact.text


MIN_CONTAINED = 20  # characters: a shorter sentence inside a finding is a coincidence


def _same_fact(finding: Finding, fact: Fact) -> bool:
    at = finding.data.get("at_ns")
    if at is not None:  # the finding says which block or diagnostic it is about
        return int(at) in fact.times
    sentence = _sentence(fact)
    if finding.text in (fact.text, sentence):
        return True
    return len(sentence) >= MIN_CONTAINED and sentence in finding.text


def _merged(finding: Finding, fact: Fact) -> Fact:
    """The fact with the finding's verdict. A demo's finding that names its block (``at_ns``)
    keeps its own sentence, the lesson ("analyse's CPU loop ran as one 1.34 s step: ..."),
    with the block's line added if it does not say it; other merges keep the block's or
    diagnostic's sentence (a quoting finding adds nothing to it but its own count)."""
    if fact.kind != "block" or "at_ns" not in finding.data or finding.text == fact.text:
        return replace(fact, ok=finding.ok)
    at = place(fact.file, fact.line) if fact.file else ""
    text = finding.text if not at or at in finding.text else f"{finding.text} ({at})"
    return replace(fact, ok=finding.ok, text=text)


def facts(trace: Trace | None, findings: Sequence[Finding] = (),
          status: tuple[str, str | None] | None = None) -> list[Fact]:
    """Findings first (merged with the block or diagnostic they restate), then the run's
    status if it did not simply finish, then the remaining freezes and diagnostics in time
    order. See the module docstring for the rules."""
    timed = timed_facts(trace) if trace is not None else []
    taken: set[int] = set()
    out: list[Fact] = []
    for finding in findings:
        same = [i for i, fact in enumerate(timed) if _same_fact(finding, fact)]
        fresh = next((i for i in same if i not in taken), None)
        if fresh is not None:
            taken.add(fresh)
            out.append(_merged(finding, timed[fresh]))
        elif not same:
            out.append(Fact(finding.text, finding.ok))
        # else: a second finding restating a fact already listed adds nothing
    if status is not None and status[0] != "finished":
        out.append(Fact(f"run {status[0]}: {status[1] or ''}".strip(": "),
                        status[0] in ("cancelled",), "status"))
    out += [fact for i, fact in enumerate(timed) if i not in taken]
    return out
