; Constructs that decide a site's kind. A site takes the kind of the innermost construct
; whose @operand contains it; a site inside none of them is "other".
; Feeds: Site.kind (analyzer/model.py).
; Examples (written for siganalyze):
;   sig->flags |= SIGNAL_UNKILLABLE;            set
;   t->signal->flags &= ~SIGNAL_UNKILLABLE;     clear
;   if (unlikely(f & SIGNAL_UNKILLABLE))        test
;   if (is_global_init(t))                      call

; Section: set. `flags |= FLAG`, `flags |= A | FLAG`, `flags = FLAG`

(assignment_expression
  operator: "|="
  right: (_) @operand) @kind.set

(assignment_expression
  operator: "="
  right: (_) @operand) @kind.set

; Section: clear. `flags &= ~FLAG`, `&= ~(A | FLAG)`, `flags = flags & ~FLAG`

(assignment_expression
  operator: "&="
  right: (unary_expression
    operator: "~"
    argument: (_) @operand)) @kind.clear

(assignment_expression
  operator: "="
  right: (binary_expression
    operator: "&"
    right: (unary_expression
      operator: "~"
      argument: (_) @operand))) @kind.clear

; Section: test. A mask test anywhere, and any condition of a branch or loop

(binary_expression
  operator: "&") @operand @kind.test

(if_statement
  condition: (_) @operand) @kind.test

(while_statement
  condition: (_) @operand) @kind.test

(do_statement
  condition: (_) @operand) @kind.test

(for_statement
  condition: (_) @operand) @kind.test

(conditional_expression
  condition: (_) @operand) @kind.test

; Section: call. The tracked name is the function called: `if (is_global_init(t))`

(call_expression
  function: (identifier) @operand) @kind.call
