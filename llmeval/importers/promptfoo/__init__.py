"""``llmeval import promptfoo``: a promptfoo config -> an llmeval project.

``convert(path)`` reads it and returns an ``Imported`` (the project as data and the
``Notes`` of what was not translated); ``write(imported, out)`` writes the files.
"""

from llmeval.importers.promptfoo.config import Imported, convert, find_config
from llmeval.importers.promptfoo.notes import Note
from llmeval.importers.promptfoo.writer import write

__all__ = ["Imported", "Note", "convert", "find_config", "write"]
