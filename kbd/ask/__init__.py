"""Questions answered from the wiki, and the decks and charts made from the same material."""
