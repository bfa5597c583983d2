"""SQL syntax highlighting for the model viewer, in colours that read on light and dark themes."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from shoplytics_desktop.ui import theme

KEYWORDS = ["select", "from", "where", "group", "by", "order", "having", "limit", "offset", "with", "as", "and", "or", "not", "in", "is", "null", "like", "ilike", "between", "case", "when", "then", "else", "end", "join", "left", "right", "inner", "outer", "full", "cross", "anti", "semi", "on", "using", "union", "all", "distinct", "over", "partition", "rows", "range", "preceding", "following", "unbounded", "current", "row", "qualify", "window", "create", "or", "replace", "table", "view", "insert", "into", "values", "update", "set", "delete", "true", "false", "asc", "desc", "nulls", "first", "last", "interval", "cast", "try_cast", "exists", "any", "filter", "within", "lateral", "unnest", "recursive", "materialized"]

_KEYWORD_RE = re.compile(r"\b(" + "|".join(KEYWORDS) + r")\b", re.IGNORECASE)
_FUNCTION_RE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)(?=\s*\()")
_NUMBER_RE = re.compile(r"\b\d+(\.\d+)?\b")
_STRING_RE = re.compile(r"'(?:[^']|'')*'")
_QUOTED_RE = re.compile(r'"(?:[^"]|"")*"')
_COMMENT_RE = re.compile(r"--[^\n]*")

_IN_BLOCK_COMMENT = 1


def _fmt(color: str | QColor, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class SqlHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        dark = theme.is_dark()
        # the accent set, lightened on dark backgrounds and darkened on light ones for contrast
        keyword = QColor(theme.SKY) if dark else QColor(theme.BLUE)
        function = QColor(theme.PURPLE) if dark else QColor(theme.PURPLE).darker(135)
        string = QColor(theme.GREEN).lighter(160) if dark else QColor(theme.GREEN).darker(125)
        number = QColor(theme.ORANGE) if dark else QColor(theme.ORANGE).darker(150)
        comment = theme.palette().color(theme.palette().ColorRole.PlaceholderText)
        self.formats = {
            "keyword": _fmt(keyword, bold=True),
            "function": _fmt(function),
            "string": _fmt(string),
            "quoted": _fmt(theme.palette().color(theme.palette().ColorRole.Text), italic=True),
            "number": _fmt(number),
            "comment": _fmt(comment, italic=True),
        }

    def highlightBlock(self, text: str) -> None:
        for regex, name in (
            (_KEYWORD_RE, "keyword"),
            (_FUNCTION_RE, "function"),
            (_NUMBER_RE, "number"),
            (_QUOTED_RE, "quoted"),
            (_STRING_RE, "string"),
            (_COMMENT_RE, "comment"),
        ):
            for m in regex.finditer(text):
                start, end = m.span(1) if name == "function" else m.span()
                self.setFormat(start, end - start, self.formats[name])
        self._block_comments(text)

    def _block_comments(self, text: str) -> None:
        self.setCurrentBlockState(0)
        if self.previousBlockState() == _IN_BLOCK_COMMENT:
            start, search_from = 0, 0
        else:
            start = text.find("/*")
            search_from = start + 2
        while start >= 0:
            end = text.find("*/", search_from)
            if end < 0:
                self.setCurrentBlockState(_IN_BLOCK_COMMENT)
                self.setFormat(start, len(text) - start, self.formats["comment"])
                return
            self.setFormat(start, end + 2 - start, self.formats["comment"])
            start = text.find("/*", end + 2)
            search_from = start + 2
