; Every code occurrence of a tracked identifier.
; Feeds: Site (analyzer/model.py), one per match; Python decides kind and context.
; Example (written for siganalyze):   if (t->flags & SIGNAL_UNKILLABLE)
;                                                    ^ @ident
; Comments and string literals are single tokens in the C grammar, so an identifier node
; never stands inside them. `#define` bodies are raw text (preproc_arg): uses there are
; found by analyzer/extract/kernel.py, which re-parses the body.
; "@TRACKED@" is replaced by the quoted tracked names (analyzer/queries.py).

((identifier) @ident
  (#any-of? @ident "@TRACKED@"))
