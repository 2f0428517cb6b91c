"""The question log: every user message, masked and pseudonymised like a gap record, with what
became of it (:mod:`bot.questions.model`), stored beside the gaps (:mod:`bot.questions.store`),
written off the reply's path by the gap recorder (:meth:`bot.gaps.capture.GapRecorder.log`), and
the demand figures of the Topics page and the monthly report (:mod:`bot.questions.figures`)."""
