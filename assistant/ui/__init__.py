"""The desktop application (PySide6 only here): tray, main window, pages, dialogs."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = [
    "app",
    "application",
    "destination",
    "dialogs",
    "folder_questions",
    "icons",
    "interaction",
    "invoker",
    "labels",
    "main_window",
    "outcomes",
    "pages",
    "pin_dialog",
    "tasks",
    "tray",
    "trust_offer",
    "widgets",
]
