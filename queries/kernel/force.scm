; Assignments to the variable that decides whether a signal to a namespace init is forced:
; `force` (3.x on), `from_ancestor_ns` (2.6.x): the names of `force:` in queries/delivery/path.txt,
; in place of "@TRACKED@".
; Feeds: ForceAssignment (analyzer/model.py).
; Examples (written for siganalyze):
;   bool force = false;                               @assign.init
;   force = !task_pid_nr_ns(current, ns);             @assign.set

(init_declarator
  declarator: (identifier) @variable
  value: (_) @value
  (#any-of? @variable "@TRACKED@")) @assign.init

(assignment_expression
  left: (identifier) @variable
  operator: "="
  right: (_) @value
  (#any-of? @variable "@TRACKED@")) @assign.set
