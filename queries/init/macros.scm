; `#define NAME value` and `#define NAME(params) body`: signal lists such as
; SIGNALS_CRASH_HANDLER, offsets used in SIGRTMIN+n, and installer macros that wrap sigaction().
; Feeds: MacroResolver and FunctionMacro (analyzer/extract/macros.py), hence Disposition.via/note.
; Example (written for siganalyze):
;   #define FATAL_SIGNALS SIGSEGV, SIGBUS, SIGABRT
;           ^ @name       ^ @value
;   #define INSTALL(s, fn) do { act.sa_handler = fn; sigaction(s, &act, NULL); } while (0)
;           ^ @name ^ @term ^ @value

; Section: object-like macros
(preproc_def
  name: (identifier) @name
  value: (preproc_arg)? @value) @def.macro

; Section: function-like macros
(preproc_function_def
  name: (identifier) @name
  parameters: (preproc_params) @term
  value: (preproc_arg)? @value) @def.macro_function
