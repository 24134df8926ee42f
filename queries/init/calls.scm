; Calls of a named function with their argument lists: the signal API (sigaction, signal,
; sigprocmask, sigaddset, signalfd, sigwait...), the variadic helpers (sigaction_many,
; ignore_signals...), installer macros, and any call the walk from main() follows.
; Python picks the callees it knows; a query cannot know which names are helpers in a tree.
; Feeds: Disposition (analyzer/extract/init.py): via, location, function, handler.
; Example (written for siganalyze):
;   install_handlers(&act, FATAL_SIGNALS, -1);
;   ^ @callee       ^ @value

(call_expression
  function: (identifier) @callee
  arguments: (argument_list) @value) @call.function
