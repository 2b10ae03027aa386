"""What every PDF the product draws shares: the DejaVu Sans fonts bundled in ./fonts (so
Cyrillic renders on any machine, whatever fonts it has) and the media type."""

from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"
PDF_TYPE = "application/pdf"
