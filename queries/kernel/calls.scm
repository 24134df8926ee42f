; Direct calls, for the call graph the kill path is computed on.
; Feeds: Hop (analyzer/model.py), through analyzer/extract/callgraph.py, which names the
; caller by the enclosing function definition.
; Example (written for siganalyze):   return kill_proc_info(sig, &info, pid);
;                                            ^ @callee

(call_expression
  function: (identifier) @callee) @call.direct
