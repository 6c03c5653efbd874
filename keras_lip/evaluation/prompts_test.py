"""Prompt templates, canonicalisation and expansion against big_vision."""

import json
import os

from keras_lip.evaluation import class_names, prompts
from keras_lip.testing import TestCase, golden_dir


def _golden():
    path = golden_dir("zero_shot", "zero_shot.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class PromptsTest(TestCase):
    def test_canonicalize_matches_big_vision(self):
        cases = _golden()["canonicalize_cases"]
        self.assertGreater(len(cases), 30)
        for case in cases:
            text = case["input"]
            self.assertEqual(prompts.canonicalize_text(text),
                             case["canonicalize_text"], text)
            self.assertEqual(prompts.canonicalize_text(
                text, keep_punctuation_exact_string=","), case["keep_comma"])
            self.assertEqual(prompts.canonicalize_text(
                text, keep_punctuation_exact_string="{}"),
                case["keep_braces"])

    def test_template_sets_match_big_vision(self):
        golden = _golden()["prompt_template_sets"]
        self.assertEqual(sorted(golden), sorted(prompts.PROMPT_TEMPLATE_SETS))
        for name, expected in golden.items():
            self.assertEqual(list(prompts.PROMPT_TEMPLATE_SETS[name]),
                             expected["raw"])
            self.assertEqual(prompts.prompt_templates(name),
                             expected["canonicalized"])
            self.assertEqual(
                prompts.prompt_templates(name, canonicalize=False),
                expected["raw"])

    def test_expansion_matches_big_vision(self):
        golden = _golden()["prompt_expansion"]
        labels, texts = prompts.expand_prompts(golden["class_names_input"],
                                               golden["templates_input"])
        self.assertEqual([list(p) for p in zip(labels, texts)],
                         golden["prompts"])

    def test_imagenet_names_survive_canonicalisation(self):
        names = _golden()["imagenet2012_clip_class_names"]["canonicalized"]
        self.assertLen(names, 1000)
        for name in names:  # Already canonical: a fixed point.
            self.assertEqual(prompts.canonicalize_text(
                name, keep_punctuation_exact_string=","), name)

    def test_bad_templates(self):
        with self.assertRaisesRegex(ValueError, "Unknown template set"):
            prompts.prompt_templates("nope")
        with self.assertRaisesRegex(ValueError, "exactly one"):
            prompts.prompt_templates(["a {} {}"])
