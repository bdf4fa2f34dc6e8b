"""The questions a job asks the person, one dialog per module."""

from assistant.ui.dialogs.approve_origin import ApproveOriginDialog
from assistant.ui.dialogs.choose_credential import ChooseCredentialDialog, credential_summary, human_name
from assistant.ui.dialogs.confirm import ConfirmDialog
from assistant.ui.dialogs.download_folder import DownloadFolderDialog

__all__ = [
    "ApproveOriginDialog",
    "ChooseCredentialDialog",
    "ConfirmDialog",
    "DownloadFolderDialog",
    "credential_summary",
    "human_name",
]
