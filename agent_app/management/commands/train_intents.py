"""``manage.py train_intents``: rebuild the intent and answerability models from context/training/.

Deterministic and offline. Prints k-fold precision/recall per class, then writes the
artifacts to agent_app/judgement/model/. The answerability part runs the real knowledge
search for every training question, so the Help Centre must be ingested first
(``manage.py ingest_kb``).
"""
from __future__ import annotations

from django.core.management.base import BaseCommand

from agent_app.judgement import answerability, gist, intents, spelling, training
from agent_app.judgement.corpus import load_corpus


class Command(BaseCommand):
    help = "Train the intent classifier and the answerability model from context/training/*.jsonl."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--skip-answerability", action="store_true")
        parser.add_argument("--answerability-only", action="store_true",
                            help="Reuse the out-of-fold intent predictions of the last full run (same corpus).")

    def handle(self, *args, folds: int, skip_answerability: bool, answerability_only: bool,  # type: ignore[no-untyped-def]
               **options) -> None:
        # Training reads English lines with their slips mended, so the word list comes first.
        words = spelling.write_english_words()
        gist.english.cache_clear()  # a reading mended with the old list must not be reused
        self.stdout.write(f"{words} English words and their counts written to {spelling.ENGLISH_WORDS.name}")
        examples = load_corpus()
        gate_only = sum(not e.intents for e in examples)
        self.stdout.write(f"{len(examples)} labelled messages ({gate_only} of them for the answerability gate only)")
        if answerability_only:
            oof, classes = training.load_oof(examples)
            self.stdout.write(answerability.train_and_save(examples, oof=oof, classes=classes, k=folds,
                                                           log=self.stdout.write))
            return
        result = training.train(examples, k=folds, log=self.stdout.write)
        self.stdout.write(f"\nintents, {folds}-fold out-of-fold (temperature {result.model.temperature:.2f}), "
                          f"accuracy {result.accuracy:.3f}")
        self.stdout.write(f"{'class':<24}{'precision':>10}{'recall':>8}{'support':>9}  threshold")
        for cls, row in result.per_class.items():
            t = result.thresholds.get(cls)
            self.stdout.write(f"{cls:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['support']:>9}"
                              f"  {'' if t is None else f'{t:.2f}'}")
        hard = result.hard_reasons
        self.stdout.write(f"the six hard reasons at their thresholds: precision {hard['precision']:.3f}, "
                          f"recall {hard['recall']:.3f}")
        training.save(result, examples)
        training.save_oof(result, examples)
        intents.reset()
        if not skip_answerability:
            report = answerability.train_and_save(examples, oof=result.oof, classes=result.classes, k=folds,
                                                  log=self.stdout.write)
            self.stdout.write(report)
        self.stdout.write(self.style.SUCCESS("models written to agent_app/judgement/model/"))
