"""The Vietnamese guides (docs/vi/): NFC text in the domain's words, the console's own Vietnamese labels rather than
English ones, and every command, path and Ansible variable they cite real (the checks of docs/deploy.md)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from doccheck import (
    REPO,
    command_problem,
    declared_variables,
    inline_spans,
    motcua_commands,
    named_variables,
    path_exists,
    repository_paths,
)

from console import texts

TECHNICIAN = REPO / "docs/vi/huong-dan-ky-thuat.md"
MANAGER = REPO / "docs/vi/huong-dan-quan-ly.md"
GUIDES = [TECHNICIAN, MANAGER]

#: English words of the console, the devices and the reports that a Vietnamese reader would see in Vietnamese.
ENGLISH_UI_WORDS = [
    "Next", "Recall", "No-show", "Finish", "Transfer", "Pause", "Resume", "Sign in", "Sign out", "Reports",
    "Accounts", "Alerts", "Satisfied", "Neutral", "Unsatisfied", "ticket", "counter", "officer", "queue", "rating",
    "Notice on the board", "Period", "Download",
]  # fmt: skip


def prose(text: str) -> str:
    """The guide without code (commands, file names, log lines quoted as code stay English)."""
    text = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", text, flags=re.M | re.S)
    text = re.sub(r"`[^`\n]+`", "", text)
    return re.sub(r"\]\([^)]*\)|!\[[^\]]*\]", "", text)  # link targets, image alt text


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_the_guide_is_nfc_with_full_diacritics(guide: Path):
    text = guide.read_text("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    assert "Bộ phận một cửa" in text and "Trung tâm phục vụ hành chính công" in text
    for word in ["cán bộ", "quầy", "số thứ tự", "phiếu", "Hài lòng"]:
        assert word in text, word
    assert not re.search(r"\bBo phan\b|\bcan bo\b|\bso thu tu\b", text, re.I)  # no text without its diacritics


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_the_guide_uses_no_english_ui_words(guide: Path):
    words = prose(guide.read_text("utf-8"))
    found = [word for word in ENGLISH_UI_WORDS if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", words)]
    assert found == []


def test_the_english_word_check_would_see_one():
    assert re.search(r"(?<![\w-])Pause(?![\w-])", prose("bấm **Pause** để tạm nghỉ, rồi `motcua counter`"))
    assert not re.search(r"(?<![\w-])counter(?![\w-])", prose("chạy `sudo motcua counter --config x 3 pause`"))


def test_the_managers_guide_names_the_consoles_own_labels():
    text = MANAGER.read_text("utf-8")
    labels = set(texts.EN) | set(texts.ACTIONS.values()) | set(texts.STATUS.values())
    cited = [
        "Toàn cảnh", "Tạm nghỉ", "Tiếp tục", "Rời quầy", "Thông báo trên bảng", "Cập nhật", "Kỳ báo cáo",
        "Xem (HTML, in A4)", "Tải CSV (zip)", "Chuyển dịch vụ", "Tài khoản", "Báo cáo", "Đăng xuất", "Hết giấy",
        "Sắp hết giấy", "Mất kết nối", "Đang làm việc", "Đóng",
    ]  # fmt: skip
    assert [label for label in cited if label not in labels] == []
    assert [label for label in cited if label not in text] == []
    for level in ["Hài lòng", "Bình thường", "Không hài lòng"]:
        assert level in text
    # The two rates as the report and the province count them (docs/reports.md).
    assert "Bộ chỉ số 766" in text and "Tỷ lệ hài lòng trên lượt đánh giá" in text
    # The scheduled reports: where, when, and the reference section.
    assert "/srv/motcua/reports" in text and "thứ Hai" in text and "ngày 1" in text and "Scheduled reports" in text


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_command_path_and_variable_the_guide_cites_is_real(guide: Path):
    text = guide.read_text("utf-8")
    commands = motcua_commands(text)
    assert commands
    assert {" ".join(c): command_problem(c) for c in commands if command_problem(c)} == {}
    assert [path for path in repository_paths(text) if not path_exists(path, doc=guide)] == []
    declared = declared_variables()
    assert [name for name in named_variables(text) if name not in declared] == []


def test_the_technicians_guide_keeps_the_deploy_docs_commands():
    """Commands unchanged: every command block line of the Vietnamese guide's steps is one of docs/deploy.md's."""
    english = (REPO / "docs/deploy.md").read_text("utf-8")
    vietnamese = TECHNICIAN.read_text("utf-8")
    for command in re.findall(r"^\s*((?:sudo |EDITOR=nano )?(?:ansible-playbook|ansible|motcua|git|cp|rm) [^\n#]*)",
                              vietnamese, re.M):  # fmt: skip
        assert command.strip() in english, command
    assert {span for span in inline_spans(vietnamese) if span.startswith("ansible-playbook")} <= set(
        inline_spans(english)
    ) | {"ansible-playbook ... replace-device.yml --ask-vault-pass -e device=pad-3"}


def test_readme_and_the_developers_map_link_both_guides():
    for path in ["README.md", "docs/developing.md"]:
        text = (REPO / path).read_text("utf-8")
        assert "vi/huong-dan-ky-thuat.md" in text and "vi/huong-dan-quan-ly.md" in text, path
