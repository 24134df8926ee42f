; `#define IDENT value` and `#define IDENT(args) value` for a tracked identifier.
; Feeds: Site with kind "define" (analyzer/model.py); @value fills Site.value.
; Example (written for siganalyze):   #define SIGNAL_UNKILLABLE 0x40
;                                             ^ @ident          ^ @value

(preproc_def
  name: (identifier) @ident
  value: (preproc_arg)? @value
  (#any-of? @ident "@TRACKED@")) @kind.define

(preproc_function_def
  name: (identifier) @ident
  value: (preproc_arg)? @value
  (#any-of? @ident "@TRACKED@")) @kind.define
