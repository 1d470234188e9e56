"""The one vocabulary of a procedure's state on the board and its cause, shared by the coverage
report and the board audit (and the stable JSON keys of both).

States say where a procedure stands; causes say why. The report's states come from the
registry's postings; the audit's from what photos of the wall show.
"""

# -- states -----------------------------------------------------------------------------------
POSTED = "posted"                  # report: applicable, its current label is up
STALE = "stale"                    # applicable, an older version of its label is up (reprint)
MISSING = "missing"                # report: applicable, nothing up
ORPHAN = "orphan"                  # a label up for a procedure that does not apply (take down)
NOT_APPLICABLE = "not_applicable"  # report: listed, not applicable, no label
CURRENT = "current"                # audit: seen on the wall, applicable, current version
NOT_SEEN = "not_seen"              # audit: applicable or on record as posted, in no photo

# -- causes -----------------------------------------------------------------------------------
UP_TO_DATE = "up_to_date"
NOT_ON_BOARD = "not_on_board"
LABEL_CHANGED = "label_changed"                # the label's content changed since it went up
LINK_CHANGED = "link_changed"                  # audit: the code links to an older version's page
REPLACES_POSTED = "replaces_posted_code"       # report: the old code's label stands in for it
ABOLISHED = "abolished"
REPLACED = "replaced"
NOT_YET_IN_FORCE = "not_yet_in_force"
NOT_LISTED = "not_listed"
OUT_OF_SCOPE = "out_of_scope"                  # in the catalogue, but the unit's scope leaves it out
POSTED_NOT_SEEN = "posted_not_seen"            # audit: on record as posted, in no photo
NO_VALID_CODE = "no_valid_code"                # report: applicable, but its row has no valid code

# -- wording ----------------------------------------------------------------------------------
#: What the board, the report and the audit print for a procedure whose list names no field.
NO_FIELD = "Chưa xác định lĩnh vực"
