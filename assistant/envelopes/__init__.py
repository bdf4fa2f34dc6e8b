"""CMS envelopes: streamed decryption of plis, safe ZIP extraction, bi-clé creation.

Import the submodules directly (`assistant.envelopes.decrypt`, `.folder`, `.zip_extract`,
`.bicle`): this package imports nothing so that `import assistant.envelopes` stays free.
"""
