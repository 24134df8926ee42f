"""Program order from PID 1's main(), and the calls set aside as not PID 1's own steady state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract.init.conditions import branch_pid1_skips
from analyzer.extract.init.context import Context, Decision, Reader
from analyzer.extract.init.nodes import WORD, mentions
from analyzer.queries import iter_matches, load_query
from analyzer.syntax import function_node, node_text

_EXEC = frozenset({"execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve", "execveat"})
_MAX_CHAIN = 10


@dataclass(slots=True)
class ProgramOrder:
    """Call chains from main() to the functions that decide, cached per (function, file)."""

    ctx: Context
    _chains: dict[tuple[str, str], tuple[int, ...] | None] = field(default_factory=dict)

    def keep(self, decisions: list[Decision]) -> list[tuple[tuple[int, ...], Decision]]:
        """Drop what does not shape PID 1's table; key the rest by program order from main()."""
        handlers = {d.handler for d in decisions if d.action == "handler" and d.handler}
        kept = []
        for decision in decisions:
            why = self._why_not(decision, handlers)
            if why is not None:
                self.ctx.skip_decision(decision, why)
                continue
            chain = self._chain(decision.function or "", decision.path, 0)
            if chain is None:
                self.ctx.skip_decision(decision, f"not reached from {self.ctx.entry}() of {self.ctx.main}")
                continue
            kept.append(((*chain, decision.node.start_byte), decision))
        return sorted(kept, key=lambda item: item[0])

    def runs(self, reader: Reader) -> bool:
        """True for a reader PID 1 itself runs (reached from main, not in a child)."""
        function = syntax.function_name(reader.node)
        if _in_fork_child(reader.node) or function is None:
            return False
        return self._chain(function, reader.path, 0) is not None

    def _why_not(self, decision: Decision, handlers: set[str]) -> str | None:
        """Why a decision is not PID 1's own steady state, or None."""
        if decision.function in handlers:
            return f"inside signal handler {decision.function}()"
        if (condition := branch_pid1_skips(decision.node)) is not None:
            return f"under {condition}: PID 1 never takes this branch"
        if _in_fork_child(decision.node):
            return "in a forked child"
        if (exec_call := _exec_after(decision.node)) is not None:
            return f"before {exec_call}(): applies to the next program"
        if decision.signal not in ("*", "*RT") and _reacts_to(decision.node, decision.signal):
            self.ctx.row_notes.setdefault(decision.signal, []).append(
                f"{decision.action} in {decision.function}() once {decision.signal} arrived"
            )
            return f"reaction to receiving {decision.signal}"
        return None

    def _chain(self, function: str, path: str, depth: int) -> tuple[int, ...] | None:
        """Call-site offsets from PID 1's main() down to `function`; None when not reached."""
        if function == self.ctx.entry:
            return () if path == self.ctx.main or self.ctx.main is None else None
        key = (function, path)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = None  # cycles end here
        if depth > _MAX_CHAIN or not function:
            return None
        best: tuple[int, ...] | None = None
        for caller_path in self._caller_files(function, path):
            for callee, node, _ in self.ctx.unit(caller_path).calls:
                # A call made in a forked child, or only once a signal arrived (busybox's
                # `if (sig == SIGQUIT) exec_restart_action();`), is no path of the steady state.
                if callee != function or _in_fork_child(node) or _reaction(node):
                    continue
                caller = syntax.function_name(node)
                if caller is None or caller == function:
                    continue
                chain = self._chain(caller, caller_path, depth + 1)
                if chain is not None and (best is None or (*chain, node.start_byte) < best):
                    best = (*chain, node.start_byte)
        self._chains[key] = best
        return best

    def _caller_files(self, function: str, path: str) -> list[str]:
        """Scope files that may call `function`: its own file when static, else any mentioning it."""
        if function in self.ctx.unit(path).static:
            return [path]
        # Only scope files count and all are parsed by now: searching their text finds what a
        # tree-wide `git grep -w` per function would keep, without one search per function.
        return sorted(p for p in self.ctx.scope if mentions(self.ctx.unit(p).data, function))


def _in_fork_child(node: Node) -> bool:
    """True inside `if (pid == 0)` / `if (r == 0)` after `pid = fork()` (or safe_fork...) in the same
    function, or after `if (pid) return ...;` (the parent left: what follows is the child)."""
    function = function_node(node)
    if function is None:
        return False
    for parent in syntax.ancestors(node):
        if parent is function:
            return False
        if parent.type == "compound_statement" and _after_parent_left(function, parent, node):
            return True
        if parent.type != "if_statement":
            continue
        consequence = parent.child_by_field_name("consequence")
        if consequence is None or not syntax.contains(consequence, node):
            continue
        condition = node_text(parent.child_by_field_name("condition"))
        variable = _zero_test(condition)
        # `if ((pid = fork()) == 0)` assigns in the condition itself; else look before the if.
        if variable and (
            _FORK_IN_CONDITION.search(condition) or _assigned_from_fork(function, variable, parent.start_byte)
        ):
            return True
    return False


_FORK_IN_CONDITION = re.compile(r"\w+\s*=\s*\w*fork\w*\s*\(")


_NONZERO_TEST = re.compile(r"\(\s*(\w+)\s*(?:!=\s*0\s*|>\s*0\s*)?\)")


def _after_parent_left(function: Node, block: Node, node: Node) -> bool:
    """`if (pid) { ... return pid; }` earlier in `block`, pid from fork: `node` runs in the child."""
    for statement in block.named_children:
        if statement.end_byte > node.start_byte:  # reached the statement holding `node`
            return False
        if statement.type != "if_statement":
            continue
        tested = _NONZERO_TEST.fullmatch(" ".join(node_text(statement.child_by_field_name("condition")).split()))
        consequence = statement.child_by_field_name("consequence")
        leaves = consequence is not None and (
            consequence.type == "return_statement"
            or any(c.type == "return_statement" for c in consequence.named_children)
        )
        if tested and leaves and _assigned_from_fork(function, tested.group(1), statement.start_byte):
            return True
    return False


def _zero_test(condition: str) -> str | None:
    """`(pid == 0)` / `(!pid)` / `((pid = fork()) == 0)` -> the variable tested against zero."""
    text = " ".join(condition.split())
    match = re.fullmatch(r"\(\s*\(?\s*(\w+)(?:\s*=\s*\w*fork\w*\([^()]*\))?\s*\)?\s*==\s*0\s*\)", text)
    if match:
        return match.group(1)
    match = re.fullmatch(r"\(\s*!\s*(\w+)\s*\)", text)
    return match.group(1) if match else None


def _assigned_from_fork(function: Node, variable: str, before: int) -> bool:
    """True when `variable` is assigned the result of a *fork* call in `function` before `before`."""
    body = node_text(function)[: before - function.start_byte]
    if re.search(rf"\b{re.escape(variable)}\s*=\s*\w*fork\w*\s*\(", body):
        return True
    return bool(re.search(rf"\w*fork\w*\s*\([^;]*&\s*{re.escape(variable)}\s*\)", body))


def _exec_after(node: Node) -> str | None:
    """The exec*() the same function calls after `node` in the same process, if any."""
    function = function_node(node)
    if function is None:
        return None
    for match in iter_matches(load_query("init/calls"), function):
        callee = node_text(match["callee"])
        call = match["call.function"]
        if callee in _EXEC and call.start_byte > node.end_byte and not _in_fork_child(call):
            return callee
    return None


_RECEIVED = re.compile(r"\b\w+\s*==\s*SIG\w+|\bSIG\w+\s*==\s*\w+|\b1\s*<<\s*[a-z_]\w*")


def _reaction(node: Node) -> bool:
    """True inside an `if` or `case` of its function that tests which signal was received."""
    for parent in syntax.ancestors(node):
        if parent.type == "function_definition":
            return False
        if parent.type == "case_statement":
            value = parent.child_by_field_name("value")
            if value is not None and node_text(value).startswith("SIG") and not syntax.contains(value, node):
                return True
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition")
            if (
                condition is not None
                and not syntax.contains(condition, node)
                and _RECEIVED.search(node_text(condition))
            ):
                return True
    return False


def _reacts_to(node: Node, signal: str) -> bool:
    """True inside an `if` whose condition tests that `signal` was received."""
    for parent in syntax.ancestors(node):
        if parent.type == "function_definition":
            return False
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition")
            if (
                condition is not None
                and not syntax.contains(condition, node)
                and signal in WORD.findall(node_text(condition))
            ):
                return True
    return False
