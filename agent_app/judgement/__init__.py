"""The agent's judgement: a learned intent layer and a trained answerability decision.

- :mod:`intents`: calibrated probabilities over the escalation reasons, "none",
  "unanswerable" and conversation acts for one message;
- :mod:`answerability`: whether a retrieved Help Centre passage answers the question;
- :mod:`training` and ``manage.py train_intents``: how both are rebuilt.
"""
