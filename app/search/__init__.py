"""Full-text search of Chinese text (`words`): the case list's and the inbox's text filters."""
