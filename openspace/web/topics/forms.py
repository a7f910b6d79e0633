"""Forms of the topic pages: input only; openspace.domain.board validates."""

from ..board.forms import TopicForm

__all__ = ["TopicForm"]
