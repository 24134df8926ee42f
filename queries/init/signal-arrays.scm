; Arrays initialized with a list, such as the signals a loop passes to sigdelset() one by one.
; Feeds: the signal list of a call whose argument is `array[i]` (analyzer/extract/init.py).
; Example (written for siganalyze):
;   int kept[] = { SIGSEGV, SIGBUS };   ...   sigdelset(&set, kept[i]);
;       ^ @variable ^ @value

(init_declarator
  declarator: (array_declarator
    declarator: (identifier) @variable)
  value: (initializer_list) @value) @def.signal_array
