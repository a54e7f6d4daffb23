"""Text of our own for the sample documents: short, topical, and easy to search for."""

from __future__ import annotations

WORD_PROCESSORS = [
    "The Evolution of the Word Processor\n"
    "Before screens, offices wrote with pens and then with machines.\n"
    "The typewriter was patented in 1868 by Christopher Latham Sholes and partners.\n"
    "It made every letter the same size and put a keyboard in front of the clerk.\n"
    "Carbon paper gave a second copy, and correction fluid hid the mistakes.\n"
    "Typing pools filled whole floors of banks, insurers and government offices.\n"
    "A skilled typist could reach eighty words a minute on a manual machine.\n"
    "Electric models came later and made the keys lighter and the lines more even.\n"
    "Golf ball print heads let a typist change the typeface in a few seconds.\n"
    "Still, every change to a finished page meant typing the whole page again.\n"
    "Long reports went through many drafts, each one typed from the beginning.",
    "Electronic editing\n"
    "In the 1970s dedicated machines stored pages on magnetic cards and tapes.\n"
    "Then personal computers arrived, and programs such as WordStar and WordPerfect\n"
    "let a writer move paragraphs, search words and print many copies.\n"
    "WordPerfect led the market for years thanks to its reveal codes view.\n"
    "Floppy disks held a few dozen pages and travelled between offices by hand.\n"
    "Dot matrix printers were loud, and letter quality printers were slow.\n"
    "Spelling checkers arrived and caught the errors that tired eyes missed.\n"
    "Function keys and printed overlays helped people remember the commands.\n"
    "Graphical interfaces then showed the page as it would be printed.",
    "Specialized Word Processing Tools\n"
    "Lawyers wanted numbered clauses and tables of authorities.\n"
    "Scientists wanted equations, footnotes and references kept in order.\n"
    "Screenwriters wanted scene headings and dialogue laid out by rule.\n"
    "Publishers wanted styles, so that a heading looked the same on every page.\n"
    "Translators wanted two languages side by side and a memory of past sentences.\n"
    "Each group got tools shaped for its work, and some of them are still in use.\n"
    "Templates saved the layout of a letter, an invoice or a contract for reuse.\n"
    "Mail merge filled one letter with hundreds of names and addresses.",
    "Working together\n"
    "Networks turned the document into a shared place.\n"
    "Track changes, comments and version history let teams argue in the margins.\n"
    "Online editors now let several people type in the same paragraph at once.\n"
    "Comments turned into conversations, and suggestions into small votes.\n"
    "Files stopped travelling by e-mail and stayed in one place on a server.\n"
    "Search across every document made old drafts useful again.\n"
    "Permissions decided who could read, who could comment and who could edit.\n"
    "Offline copies kept working on trains and planes and synced on return.",
    "The journey of the word processor\n"
    "From the clatter of keys to text that lives in the browser, the tool kept one aim:\n"
    "to let people put ideas into words and share them quickly.\n"
    "Dictation software now writes what people say, and assistants suggest phrasing.\n"
    "Yet the page, the paragraph and the heading are still the shapes we use.\n"
    "Writers still print a draft to read it with a pen in hand.\n"
    "The tools changed many times; the habit of careful revision did not.",
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
