; Function definitions: the units the walk from main() follows, with their names.
; Feeds: Disposition.function and the program order of decisions (analyzer/extract/init.py).
; Example (written for siganalyze):
;   static void setup_signals(void) { ... }
;               ^ @name

(function_definition
  declarator: (function_declarator
    declarator: (identifier) @name)) @def.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (identifier) @name))) @def.function
