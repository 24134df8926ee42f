; Switch statements: Python keeps those on a received signal (`switch (info.ssi_signo)`,
; `switch (sig)` after sigwait, `switch (info.ssi_signo - SIGRTMIN)`) and maps each case
; label to the first thing its body does.
; Feeds: Disposition.handler and Disposition.dispatch of blocked signals (analyzer/extract/init.py).
; Example (written for siganalyze):
;   switch (info.ssi_signo) { case SIGTERM: begin_shutdown(); break; }
;           ^ @value          ^ @term (the body)

(switch_statement
  condition: (parenthesized_expression) @value
  body: (compound_statement) @term) @def.dispatch_switch
