"""MIME type names the engine produces, and the extension tables used to break text ties."""

from __future__ import annotations

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
PPT = "application/vnd.ms-powerpoint"
XLS = "application/vnd.ms-excel"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
EPUB = "application/epub+zip"
RTF = "application/rtf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
TIFF = "image/tiff"
BMP = "image/bmp"
WEBP = "image/webp"
HTML = "text/html"
XML = "application/xml"
JSON = "application/json"
JSONL = "application/x-ndjson"
EML = "message/rfc822"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
CSV = "text/csv"
TSV = "text/tab-separated-values"
YAML = "application/yaml"

IMAGES = frozenset({PNG, JPEG, GIF, TIFF, BMP, WEBP})

BY_SUFFIX_JSON = {".json": JSON, ".jsonl": JSONL, ".ndjson": JSONL}

# Source code: MIME type and the info string of its fenced block.
CODE: dict[str, tuple[str, str]] = {
    ".py": ("text/x-python", "python"),
    ".js": ("text/javascript", "javascript"),
    ".mjs": ("text/javascript", "javascript"),
    ".ts": ("text/x-typescript", "typescript"),
    ".tsx": ("text/x-typescript", "tsx"),
    ".jsx": ("text/javascript", "jsx"),
    ".java": ("text/x-java", "java"),
    ".kt": ("text/x-kotlin", "kotlin"),
    ".c": ("text/x-c", "c"),
    ".h": ("text/x-c", "c"),
    ".cc": ("text/x-c++", "cpp"),
    ".cpp": ("text/x-c++", "cpp"),
    ".hpp": ("text/x-c++", "cpp"),
    ".cs": ("text/x-csharp", "csharp"),
    ".go": ("text/x-go", "go"),
    ".rs": ("text/x-rust", "rust"),
    ".rb": ("text/x-ruby", "ruby"),
    ".php": ("text/x-php", "php"),
    ".swift": ("text/x-swift", "swift"),
    ".scala": ("text/x-scala", "scala"),
    ".r": ("text/x-r", "r"),
    ".lua": ("text/x-lua", "lua"),
    ".pl": ("text/x-perl", "perl"),
    ".sh": ("text/x-shellscript", "bash"),
    ".bash": ("text/x-shellscript", "bash"),
    ".sql": ("application/sql", "sql"),
    ".css": ("text/css", "css"),
    ".toml": ("application/toml", "toml"),
    ".ini": ("text/x-ini", "ini"),
    ".tex": ("text/x-tex", "latex"),
}
CODE_LANGUAGES = {mime_type: language for mime_type, language in CODE.values()}

BY_SUFFIX_TEXT: dict[str, str] = {
    ".txt": TEXT,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".csv": CSV,
    ".tsv": TSV,
    ".yaml": YAML,
    ".yml": YAML,
    ".xml": XML,
    ".eml": EML,
    ".html": HTML,
    ".htm": HTML,
    **{suffix: code[0] for suffix, code in CODE.items()},
}
