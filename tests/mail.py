"""What a test may read in an e-mail for its words."""

import re

LINK = re.compile(r"https?://\S+")


def words_of(message) -> str:
    """The e-mail's subject and body without its links: a link carries a random token, which
    may happen to spell any short word a test checks is not there (say, "PRP")."""
    return LINK.sub("", f"{message.subject}\n{message.body}")
