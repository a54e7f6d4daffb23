"""Text of our own for the sample documents: short, topical, and easy to search for."""

from __future__ import annotations

WORD_PROCESSORS = [
    "The Evolution of the Word Processor\n"
    "Before screens, offices wrote with pens and then with machines.\n"
    "The typewriter was patented in 1868 by Christopher Latham Sholes and partners.\n"
    "It made every letter the same size and put a keyboard in front of the clerk.\n"
    "Carbon paper gave a second copy, and correction fluid hid the mistakes.",
    "Electronic editing\n"
    "In the 1970s dedicated machines stored pages on magnetic cards and tapes.\n"
    "Then personal computers arrived, and programs such as WordStar and WordPerfect\n"
    "let a writer move paragraphs, search words and print many copies.\n"
    "WordPerfect led the market for years thanks to its reveal codes view.",
    "Specialized Word Processing Tools\n"
    "Lawyers wanted numbered clauses and tables of authorities.\n"
    "Scientists wanted equations, footnotes and references kept in order.\n"
    "Screenwriters wanted scene headings and dialogue laid out by rule.",
    "Working together\n"
    "Networks turned the document into a shared place.\n"
    "Track changes, comments and version history let teams argue in the margins.\n"
    "Online editors now let several people type in the same paragraph at once.",
    "The journey of the word processor\n"
    "From the clatter of keys to text that lives in the browser, the tool kept one aim:\n"
    "to let people put ideas into words and share them quickly.",
]

CRAZY_ONES = (
    "The Crazy Ones\n"
    "A toast to the crazy ones, the misfits and the rebels,\n"
    "the troublemakers who think differently about everything they touch.\n"
    "You can doubt them or quote them, but you cannot ignore them,\n"
    "because they change the way people see the world.\n"
    "Written on October 14, 1998, for a talk about bold ideas."
)
CRAZY_PHRASE = "A toast to the crazy ones, the misfits and the rebels"

_DUCK_SECTIONS = {
    "Etymology": "The word duck comes from an old verb meaning to dive under the water, "
    "which is how many of these birds look for their food.",
    "Taxonomy": "Ducks belong to the family of waterfowl together with geese and swans. "
    "Dabbling ducks feed at the surface while diving ducks swim deep below it.",
    "Morphology": "Ducks have broad flat bills, short legs and webbed feet for swimming. "
    "The plumage of the males is often bright, while females wear brown feathers "
    "that hide them on the nest. Duck plumage is kept waterproof by oil from a gland.",
    "Distribution and habitat": "Ducks live on every continent except Antarctica, on "
    "lakes, rivers, marshes and sheltered coasts, and many species migrate each year.",
}
DUCKS = (
    "<!DOCTYPE html><html><head><title>Duck</title></head><body>"
    "<nav>Main page | Random article | Log in</nav><main><h1>Duck</h1>"
    "<p>Duck is the common name for many species of water birds that swim and dive.</p>"
    + "".join(f"<h2>{title}</h2><p>{text}</p>" for title, text in _DUCK_SECTIONS.items())
    + "</main><footer>Text of our own, written for the tests.</footer></body></html>"
)
