"""big_vision's prompt templates and text canonicalisation for zero-shot.

After big_vision's `evaluators/proj/image_text/prompt_engineering.py`.
"""

import re
import string

# The CLIP paper's 80 ImageNet templates, plus "{}" (big_vision's
# "clip_paper" set; order as big_vision).
CLIP_PAPER_TEMPLATES = (
    "a bad photo of a {}.",
    "a photo of many {}.",
    "a sculpture of a {}.",
    "a photo of the hard to see {}.",
    "a low resolution photo of the {}.",
    "a rendering of a {}.",
    "graffiti of a {}.",
    "a bad photo of the {}.",
    "a cropped photo of the {}.",
    "a tattoo of a {}.",
    "the embroidered {}.",
    "a photo of a hard to see {}.",
    "a bright photo of a {}.",
    "a photo of a clean {}.",
    "a photo of a dirty {}.",
    "a dark photo of the {}.",
    "a drawing of a {}.",
    "a photo of my {}.",
    "the plastic {}.",
    "a photo of the cool {}.",
    "a close-up photo of a {}.",
    "a black and white photo of the {}.",
    "a painting of the {}.",
    "a painting of a {}.",
    "a pixelated photo of the {}.",
    "a sculpture of the {}.",
    "a bright photo of the {}.",
    "a cropped photo of a {}.",
    "a plastic {}.",
    "a photo of the dirty {}.",
    "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.",
    "a photo of the {}.",
    "a good photo of the {}.",
    "a rendering of the {}.",
    "a {} in a video game.",
    "a photo of one {}.",
    "a doodle of a {}.",
    "a close-up photo of the {}.",
    "a photo of a {}.",
    "the origami {}.",
    "the {} in a video game.",
    "a sketch of a {}.",
    "a doodle of the {}.",
    "a origami {}.",
    "a low resolution photo of a {}.",
    "the toy {}.",
    "a rendition of the {}.",
    "a photo of the clean {}.",
    "a photo of a large {}.",
    "a rendition of a {}.",
    "a photo of a nice {}.",
    "a photo of a weird {}.",
    "a blurry photo of a {}.",
    "a cartoon {}.",
    "art of a {}.",
    "a sketch of the {}.",
    "a embroidered {}.",
    "a pixelated photo of a {}.",
    "itap of the {}.",
    "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.",
    "a plushie {}.",
    "a photo of the nice {}.",
    "a photo of the small {}.",
    "a photo of the weird {}.",
    "the cartoon {}.",
    "art of the {}.",
    "a drawing of the {}.",
    "a photo of the large {}.",
    "a black and white photo of a {}.",
    "the plushie {}.",
    "a dark photo of a {}.",
    "itap of a {}.",
    "graffiti of the {}.",
    "a toy {}.",
    "itap of my {}.",
    "a photo of a cool {}.",
    "a photo of a small {}.",
    "a tattoo of the {}.",
    "{}",
)

# The CLIP authors' best 7 templates plus "{}" (big_vision's "clip_best").
CLIP_BEST_TEMPLATES = (
    "itap of a {}.",
    "a bad photo of the {}.",
    "a origami {}.",
    "a photo of the large {}.",
    "a {} in a video game.",
    "art of the {}.",
    "a photo of the small {}.",
    "{}",
)

PROMPT_TEMPLATE_SETS = {
    "clip_paper": CLIP_PAPER_TEMPLATES,
    "clip_best": CLIP_BEST_TEMPLATES,
    "class_name_only": ("{}",),
}


def canonicalize_text(text, *, keep_punctuation_exact_string=None):
    """big_vision's `canonicalize_text`: "_" → " ", drop ASCII punctuation
    (except each occurrence of `keep_punctuation_exact_string`), lowercase,
    collapse white space, strip.

    Args:
        text: a Python string.
        keep_punctuation_exact_string: a string kept verbatim, e.g. "{}" for
            templates or "," for class names with aliases.

    Returns:
        The canonical string.

    Example:

    >>> canonicalize_text("A photo of a {}.", keep_punctuation_exact_string="{}")
    'a photo of a {}'
    >>> canonicalize_text("great_white  SHARK, man-eater")
    'great white shark maneater'
    """
    text = text.replace("_", " ")
    drop = str.maketrans("", "", string.punctuation)
    if keep_punctuation_exact_string:
        text = keep_punctuation_exact_string.join(
            part.translate(drop)
            for part in text.split(keep_punctuation_exact_string))
    else:
        text = text.translate(drop)
    text = text.lower()
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def prompt_templates(templates="clip_paper", canonicalize=True):
    """A template set by name ("clip_paper", "clip_best", "class_name_only")
    or a list of templates with one "{}" each, canonicalised (keeping "{}")
    unless `canonicalize=False`.

    Example:

    >>> prompt_templates("clip_best")[:2]
    ['itap of a {}', 'a bad photo of the {}']
    >>> len(prompt_templates("clip_paper"))
    81
    """
    if isinstance(templates, str):
        if templates not in PROMPT_TEMPLATE_SETS:
            raise ValueError(f"Unknown template set {templates!r}; known: "
                             f"{sorted(PROMPT_TEMPLATE_SETS)} (or pass a "
                             "list of templates).")
        templates = PROMPT_TEMPLATE_SETS[templates]
    templates = list(templates)
    if canonicalize:
        templates = [canonicalize_text(t, keep_punctuation_exact_string="{}")
                     for t in templates]
    for template in templates:
        if template.count("{}") != 1:
            raise ValueError(f"Template {template!r} must contain exactly "
                             "one '{}'.")
    return templates


def expand_prompts(class_names, templates, canonicalize=True):
    """Every (class index, prompt) pair, as big_vision's zero-shot evaluator.

    Class names are canonicalised keeping "," and split on "," into
    aliases (not stripped, as big_vision); each template is canonicalised
    keeping "{}" and filled with each alias.

    Args:
        class_names: list of class names ("tench, Tinca tinca").
        templates: a template set name or list (see `prompt_templates`).
        canonicalize: apply big_vision's canonicalisation (default True).

    Returns:
        `(labels, prompts)`: two lists of equal length.

    Example:

    >>> expand_prompts(["Crane (bird)", "cat, kitty"], ["a {}.", "{}"])
    ([0, 0, 1, 1, 1, 1], ['a crane bird', 'crane bird', 'a cat', 'cat', 'a  kitty', ' kitty'])
    """
    templates = prompt_templates(templates, canonicalize)
    labels, prompts = [], []
    for label, name in enumerate(class_names):
        if canonicalize:
            name = canonicalize_text(name, keep_punctuation_exact_string=",")
        for alias in name.split(","):
            for template in templates:
                labels.append(label)
                prompts.append(template.replace("{}", alias))
    return labels, prompts
