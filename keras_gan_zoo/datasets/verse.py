"""``verse``: a corpus of short lines of verse that this module generates.

There is no public-domain poetry corpus on an offline machine, so the zoo writes its
own: a small hand-written grammar (no text of any poet) of iambic-ish lines about the
sea, the night, the forest and the winter fields, written in rhyming couplets:

    the silver moon is rising on the stream
    how pale the star that sleeps beyond the dream

- 4 themes, each with its own subjects, plurals, adjectives and rhyme groups of
  line-final nouns (``sea / quay / lee``, ``night / light / flight / height`` ...),
  and shared verbs, adverbs, prepositions, times of day and pronouns;
- 15 line templates (12 ending in a rhyming noun, 3 in a rhyming past-tense verb);
  a couplet picks a theme and a rhyme group, and both its lines end in that group;
- 492 distinct tokens, and about 7.5e8 possible lines (far more than any split holds).

:func:`verse_lines` is deterministic for a ``seed``: the stream of couplets of
``numpy.random.default_rng(seed)``, duplicates dropped, fills the test split first,
then validation, then train, so the splits are disjoint and the held-out lines do
not change with the size of the training split. Lines are lower case; the only
punctuation is a comma after an opening time phrase or an address ("o silent moon,").

Example:
  >>> train = load_sentences("verse", "train")          # 20,000 lines
  >>> test = verse_lines("test", seed=0)                 # 1,000 other lines
  >>> len(verse_vocabulary())                            # every word the grammar writes
"""

import numpy as np

from .catalog import CATALOG, DatasetSpec
from .words import SENTENCE_SPLITS, detokenize, tokenize

__all__ = ["VERSE_SPLITS", "verse_couplets", "verse_lines", "verse_vocabulary", "CORPORA"]

#: lines per split of the default corpus.
VERSE_SPLITS = {"train": 20000, "validation": 1000, "test": 1000}

_SHARED = dict(
    ing=("rising", "falling", "dreaming", "singing", "sleeping", "drifting", "burning",
         "calling", "wandering", "waiting", "shining", "weeping", "turning", "dancing",
         "fading", "trembling", "sighing", "whispering", "breaking", "gleaming", "glowing",
         "sinking", "rolling", "climbing", "flowing", "resting", "shivering"),
    verb_pl=("sing", "sleep", "drift", "wander", "burn", "call", "weep", "dance", "fade",
             "tremble", "sigh", "whisper", "gleam", "glow", "sink", "roll", "rise", "fall",
             "turn", "shine", "dream", "wait", "break", "flow", "climb", "linger", "shiver"),
    verb_s=("sleeps", "sings", "drifts", "wanders", "burns", "calls", "weeps", "dances",
            "fades", "trembles", "sighs", "whispers", "gleams", "glows", "sinks", "rolls",
            "rises", "falls", "turns", "shines", "dreams", "waits", "lingers", "shivers"),
    remembers=("remembers", "forgets", "knows", "keeps", "hides", "carries", "holds",
               "whispers", "tells", "guards", "mourns", "sings of", "dreams of"),
    past_t=("saw", "found", "left", "lost", "loved", "followed", "crossed", "watched",
            "sought", "heard", "kept", "named", "blessed", "praised", "mourned", "carried",
            "touched", "remembered", "forgot", "called"),
    imperative=("come", "sing", "sleep", "wander", "rest", "return", "dream", "linger",
                "shine", "turn", "drift", "wait"),
    adv=("softly", "slowly", "gently", "sadly", "silently", "sweetly", "quietly",
         "brightly", "darkly", "wildly", "lightly", "deeply", "alone", "forever", "again"),
    prep=("on", "over", "under", "beneath", "beyond", "across", "along", "upon", "above",
          "below", "through", "into", "toward", "by", "near", "behind", "to"),
    time=("at dusk", "at dawn", "tonight", "at midnight", "in autumn", "in winter",
          "all night", "in spring", "at noon", "at evening", "in summer", "by morning",
          "at last", "once more", "long ago", "today"),
    pron=("we", "you", "they", "i", "she", "he"),
    my=("my heart", "my love", "my soul", "my song", "my life", "my grief", "my joy"),
    hear=("i hear", "i see", "i watch", "we hear", "we see", "you hear", "they watch"),
    common_adj=("quiet", "silent", "ancient", "gentle", "distant", "restless", "lonely",
                "hollow", "tender", "wild", "bitter", "secret", "weary", "broken",
                "sleeping", "wandering", "hidden", "endless", "solemn", "bright", "cold",
                "old", "little", "fair", "sweet", "sad", "strange", "last", "first"),
)

_THEMES = {
    "sea": dict(
        subj=("ship", "sailor", "gull", "wave", "tide", "ocean", "boat", "current", "whale",
              "fisherman", "lighthouse", "anchor", "mermaid", "harbor", "sail"),
        plural=("waves", "gulls", "ships", "sails", "tides", "sailors", "fishes", "boats",
                "currents", "shells", "whales", "islands"),
        adj=("salt", "blue", "azure", "sunken", "drowned", "grey", "foaming", "briny",
             "stormy", "green", "restless"),
        nouns=(("sea", "quay", "lee"), ("shore", "oar", "floor", "roar"),
               ("wave", "cave", "grave"), ("tide", "side", "bride"),
               ("foam", "home", "dome"), ("bay", "spray", "day", "way"),
               ("sand", "strand", "land", "hand"), ("deep", "keep", "steep"),
               ("mast", "past", "blast"), ("reef", "grief", "leaf")),
    ),
    "night": dict(
        subj=("moon", "star", "owl", "candle", "lantern", "shadow", "comet", "planet",
              "nightingale", "sleeper", "ghost", "dreamer", "bat", "clock", "watchman"),
        plural=("stars", "shadows", "candles", "lanterns", "owls", "dreams", "ghosts",
                "lovers", "comets", "sleepers", "hours", "bells"),
        adj=("silver", "pale", "dark", "starry", "velvet", "shining", "misty", "black",
             "midnight", "dim", "lunar"),
        nouns=(("night", "light", "flight", "height"), ("moon", "noon", "tune", "dune"),
               ("star", "bar", "spar", "scar"), ("sky", "eye", "sigh"),
               ("dark", "lark", "spark", "bark"), ("dream", "stream", "gleam", "beam"),
               ("bell", "well", "spell", "shell"), ("air", "stair", "prayer", "chair"),
               ("gloom", "room", "tomb", "bloom")),
    ),
    "forest": dict(
        subj=("willow", "oak", "fox", "deer", "raven", "dove", "heron", "fern", "thrush",
              "wren", "stag", "hunter", "woodsman", "squirrel", "brook"),
        plural=("leaves", "willows", "ravens", "roses", "pines", "birds", "deer", "foxes",
                "branches", "mosses", "children", "wolves"),
        adj=("green", "emerald", "golden", "shady", "mossy", "tangled", "leafy", "deep",
             "wooded", "dappled", "wild"),
        nouns=(("tree", "bee", "knee"), ("glade", "shade", "blade"),
               ("hill", "rill", "mill", "sill"), ("pine", "vine", "shrine", "line"),
               ("dawn", "lawn", "fawn"), ("stone", "throne", "bone"),
               ("moss", "cross"), ("song", "throng"), ("wood", "hood"),
               ("root", "fruit", "flute")),
    ),
    "winter": dict(
        subj=("crow", "wind", "frost", "shepherd", "robin", "hearth", "chimney", "wolf",
              "farmer", "sparrow", "snowflake", "traveller", "horse", "plough", "fire"),
        plural=("crows", "winds", "fields", "flakes", "embers", "sparrows", "sheep",
                "farmers", "years", "hearths", "furrows", "hills"),
        adj=("frozen", "white", "burning", "bare", "icy", "amber", "crimson", "frosty",
             "snowy", "bleak", "warm"),
        nouns=(("snow", "crow", "glow", "row"), ("field", "shield"),
               ("rain", "lane", "plain", "grain", "pane"), ("cold", "fold", "gold", "wold"),
               ("fire", "spire", "choir", "briar"), ("ground", "mound", "sound"),
               ("frost", "cost"), ("ice", "price"), ("hearth", "earth"),
               ("gate", "slate", "date")),
    ),
}

#: rhyming past-tense verbs that end the three "what we knew" templates.
_VERB_RHYMES = (("knew", "grew", "flew", "drew", "threw"), ("said", "fled", "led", "read"),
                ("lost", "crossed", "tossed"), ("sang", "rang", "sprang"),
                ("wept", "slept", "kept", "crept"), ("were", "stir"))

# Templates: {slot} words; {R} is the couplet's rhyme word; {a} an article for the next word.
_NOUN_TEMPLATES = (
    "the {adj} {subj} is {ing} {prep} the {R}",
    "{time} , the {plural} {verb_pl} {prep} the {R}",
    "{hear} the {subj} {verb_pl} {prep} the {adj} {R}",
    "o {adj} {subj} , {imperative} {adv} {prep} the {R}",
    "we {past_t} the {adj} {subj} {prep} the {R}",
    "the {plural} {verb_pl} {adv} beneath the {adj} {R}",
    "how {adj} the {subj} that {verb_s} {prep} the {R}",
    "{my} is like {a} {adj} {subj} {prep} the {R}",
    "and all the {plural} are {ing} {prep} the {R}",
    "{time} i {past_t} {a} {adj} {subj} by the {R}",
    "the {subj} and the {plural} {verb_pl} {prep} the {R}",
    "there is {a} {subj} that {verb_s} {prep} the {adj} {R}",
)
_VERB_TEMPLATES = (
    "and every {subj} {remembers} what {pron} {V}",
    "the {plural} {verb_pl} of all that {pron} {V}",
    "{time} , the {adj} {subj} {remembers} how {pron} {V}",
)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _line(rng, template, theme, end):
    words = []
    article = False
    for slot in template.split():
        if slot.startswith("{") and slot.endswith("}"):
            key = slot[1:-1]
            if key == "a":
                article = True
                continue
            if key in ("R", "V"):
                word = end
            elif key == "adj":  # half of the adjectives come from the theme
                word = _pick(rng, theme["adj"] if rng.random() < 0.5 else
                             _SHARED["common_adj"])
            elif key in ("subj", "plural"):
                word = _pick(rng, theme[key])
            else:
                word = _pick(rng, _SHARED[key])
        else:
            word = slot
        if article:
            words.append("an" if word[0] in "aeiou" else "a")
            article = False
        words.append(word)
    return detokenize(words)


def verse_couplets(seed=0):
    """An endless stream of rhyming couplets ``(line, line)``, deterministic per seed."""
    rng = np.random.default_rng(seed)
    themes = [_THEMES[name] for name in sorted(_THEMES)]
    while True:
        theme = _pick(rng, themes)
        if rng.random() < 0.2:
            group, templates = _pick(rng, _VERB_RHYMES), _VERB_TEMPLATES
        else:
            group, templates = _pick(rng, theme["nouns"]), _NOUN_TEMPLATES
        first, second = rng.permutation(len(group))[:2]
        yield tuple(_line(rng, _pick(rng, templates), theme, group[end])
                    for end in (first, second))


def verse_lines(split="train", seed=0, num_lines=None):
    """Lines of the generated verse corpus for one split (a list of str).

    Args:
      split: ``"train"`` (20,000 lines), ``"validation"`` (1,000) or ``"test"`` (1,000).
      seed: the corpus; the same seed gives the same lines, different seeds different
        corpora.
      num_lines: None for the split's default size, or another number of lines (the
        held-out splits of a seed do not change with the train split's size).

    Returns:
      Distinct lines, disjoint from the other splits of the same seed, in the order
      generated (couplets stay adjacent unless a duplicate line was dropped).
    """
    if split not in SENTENCE_SPLITS:
        raise ValueError(f"split must be one of {SENTENCE_SPLITS}; got {split!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}.")
    sizes = dict(VERSE_SPLITS)
    if num_lines is not None:
        if isinstance(num_lines, bool) or not isinstance(num_lines, (int, np.integer)) \
                or num_lines < 1:
            raise ValueError(f"num_lines must be None or a positive int; got {num_lines!r}.")
        sizes[split] = int(num_lines)
    order = ("test", "validation", "train")
    need = sum(sizes[s] for s in order[:order.index(split) + 1])
    seen, lines = set(), []
    for couplet in verse_couplets(seed):
        for line in couplet:
            if line not in seen:
                seen.add(line)
                lines.append(line)
        if len(lines) >= need:
            break
    start = sum(sizes[s] for s in order[:order.index(split)])
    return lines[start:start + sizes[split]]


def verse_vocabulary():
    """Every token the grammar can write, sorted."""
    words = set()
    for values in _SHARED.values():
        for value in values:
            words.update(tokenize(value))
    for theme in _THEMES.values():
        for key in ("subj", "plural", "adj"):
            words.update(theme[key])
        for group in theme["nouns"]:
            words.update(group)
    for group in _VERB_RHYMES:
        words.update(group)
    for template in _NOUN_TEMPLATES + _VERB_TEMPLATES:
        words.update(t for t in template.split() if not t.startswith("{"))
    words.update(("a", "an"))
    return sorted(words)


#: the named sentence corpora of `load_sentences`: name -> fn(split, **kwargs).
CORPORA = {"verse": verse_lines}

CATALOG["verse"] = DatasetSpec(
    name="verse", image_shape=None, num_classes=None, splits=SENTENCE_SPLITS,
    num_examples=dict(VERSE_SPLITS), offline=("grammar",), kind="sentences",
    description=("Rhyming lines of verse that keras_gan_zoo.datasets.verse generates from a "
                 "hand-written grammar (4 themes, 15 templates, 492 tokens); "
                 "load_sentences('verse', split)."))
