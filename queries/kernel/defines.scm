; `#define IDENT value`, `#define IDENT(args) value` and function definitions of a tracked name.
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

; A function definition of a tracked name, e.g. a predicate in a header:
;   static inline bool is_global_init(struct task_struct *tsk) { return ...; }
; Python fills Site.value with the returned expression when the body is one return.

(function_definition
  declarator: (function_declarator
    declarator: (identifier) @ident)
  (#any-of? @ident "@TRACKED@")) @kind.define

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (identifier) @ident))
  (#any-of? @ident "@TRACKED@")) @kind.define
