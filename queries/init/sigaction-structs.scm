; Where a `struct sigaction` gets its handler: a (static const) initializer, a compound
; literal assigned to a variable, or a field assignment to sa_handler / sa_sigaction.
; Feeds: Disposition.handler for `sigaction(SIGxxx, &act, NULL)` (analyzer/extract/init.py).
; Example (written for siganalyze):
;   static const struct sigaction act = { .sa_handler = on_fault };
;                                 ^ @variable           ^ (in @value)
;   act.sa_handler = SIG_IGN;
;   ^ @variable ^ @name ^ @handler

; Section: declaration with an initializer list
(declaration
  type: (struct_specifier
    name: (type_identifier) @name)
  declarator: (init_declarator
    declarator: (identifier) @variable
    value: (initializer_list) @value)
  (#eq? @name "sigaction")) @def.sigaction_struct

; Section: compound literal assigned to a variable
(assignment_expression
  left: (identifier) @variable
  right: (compound_literal_expression
    type: (type_descriptor
      type: (struct_specifier
        name: (type_identifier) @name))
    value: (initializer_list) @value)
  (#eq? @name "sigaction")) @assign.sigaction_struct

; Section: one handler field assigned
(assignment_expression
  left: (field_expression
    argument: (identifier) @variable
    field: (field_identifier) @name)
  right: (_) @handler
  (#any-of? @name "sa_handler" "sa_sigaction")) @assign.sigaction_field
