"""CMS envelopes: streamed decryption of plis, safe ZIP extraction, bi-clé creation.

Import the submodules directly (`assistant.envelopes.decrypt`, `.folder`, `.zip_extract`,
`.bicle`): this package imports nothing so that `import assistant.envelopes` stays free.
"""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["bicle", "cms_stream", "decrypt", "errors", "folder", "zip_extract"]
