"""The report's words in Vietnamese (the default) and English, names of things, and number formats."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction

from coordinator.report.metrics import HALL_KEY, Dim, round_half_up
from motcua.contract import Procedure
from motcua.hall import HallConfig
from motcua.language import ENGLISH_WEEKDAYS, VIETNAMESE_WEEKDAYS, Language

Lang = Language  # the report's short name for it

TEXTS: dict[str, tuple[str, str]] = {
    # titles
    "title": ("BÁO CÁO KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG", "CITIZEN SATISFACTION REPORT"),
    "queue_title": ("TÌNH HÌNH TIẾP NHẬN VÀ PHỤC VỤ", "QUEUE AND SERVICE FIGURES"),
    "from_to": ("Từ ngày {first} đến ngày {last}", "From {first} to {last}"),
    "country": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ""),
    "motto": ("Độc lập - Tự do - Hạnh phúc", ""),
    "number": ("Số: …/{suffix}", "No. …/{suffix}"),
    "date_line": ("{place}, ngày {d:02d} tháng {m:02d} năm {y}", "{place}, {y}-{m:02d}-{d:02d}"),
    "to": ("Kính gửi:", "To:"),
    "copy_to": ("Nơi nhận:", "Copies to:"),
    "prepared_by": ("NGƯỜI LẬP", "PREPARED BY"),
    "leader": ("LÃNH ĐẠO ĐƠN VỊ", "HEAD OF THE UNIT"),
    "sign_note": ("(Ký, ghi rõ họ tên)", "(Signature, full name)"),
    "sign_seal_note": ("(Ký, ghi rõ họ tên, đóng dấu)", "(Signature, full name, seal)"),
    "made_on": ("Lập ngày {day}", "Made on {day}"),
    "incomplete": (
        "Kỳ báo cáo chưa kết thúc: số liệu tính đến thời điểm lập báo cáo.",
        "The period is not over yet: figures up to the time of this report.",
    ),
    "scope": ("Phạm vi: {what}", "Scope: {what}"),
    "summary": ("Tóm tắt", "Summary"),
    "definitions": ("Cách tính các chỉ số", "How the figures are computed"),
    "unknown_officers": (
        "Mã cán bộ không có trong hall.toml (hiển thị theo mã): {ids}",
        "Officer ids not in hall.toml (shown by id): {ids}",
    ),
    # columns
    "group": ("Nhóm", "Group"),
    "id": ("Mã", "Id"),
    "name": ("Tên", "Name"),
    "unit_id": ("Mã đơn vị", "Unit id"),
    "officer_id": ("Mã cán bộ", "Officer id"),
    "weekday_no": ("Thứ tự ngày (1 = thứ Hai)", "Day number (1 = Monday)"),
    "g_wait": ("Thời gian chờ (phút)", "Wait (minutes)"),
    "g_service": ("Thời gian phục vụ (phút)", "Service time (minutes)"),
    "s_mean": ("Trung bình", "Mean"),
    "s_median": ("Trung vị", "Median"),
    "s_p90": ("90% không quá", "90th percentile"),
    "s_target": ("Mục tiêu", "Target"),
    "s_within": ("Được gọi trong thời gian mục tiêu (%)", "Called within target (%)"),
    # dimensions
    "dim_hall": ("Toàn bộ phận", "Whole hall"),
    "dim_service": ("Lĩnh vực / dịch vụ", "Service"),
    "dim_counter": ("Quầy", "Counter"),
    "dim_officer": ("Cán bộ", "Officer"),
    "dim_procedure": ("Thủ tục hành chính", "Administrative procedure"),
    "tickets_sheet": ("Lượt phục vụ", "Tickets served"),
    "comparison": ("So sánh với kỳ trước", "Compared with the previous period"),
    "figure": ("Chỉ tiêu", "Figure"),
    "this_period": ("Kỳ này", "This period"),
    "previous_period": ("Kỳ trước ({first:%d/%m/%Y}–{last:%d/%m/%Y})", "Previous ({first:%d/%m/%Y}–{last:%d/%m/%Y})"),
    "change": ("Tăng (+) / giảm (−)", "Change"),
    "unit": ("Đơn vị", "Unit"),
    "by_service": ("Theo lĩnh vực / dịch vụ", "By service"),
    "by_counter": ("Theo quầy", "By counter"),
    "by_officer": ("Theo cán bộ", "By officer"),
    "by_procedure": ("Theo thủ tục hành chính", "By administrative procedure"),
    "no_officer": ("(không có cán bộ)", "(no officer)"),
    # satisfaction
    "sat_unit_officer": ("Kết quả đánh giá theo đơn vị và cán bộ", "Ratings by unit and officer"),
    "sat_breakdown": ("Kết quả đánh giá", "Ratings"),
    "weekly": ("Diễn biến theo tuần", "Week by week"),
    "no": ("STT", "No."),
    "subtotal": ("Cộng", "Subtotal"),
    "total": ("Tổng cộng", "Total"),
    "counted": ("Tổng số lượt đánh giá", "Ratings counted"),
    "count": ("Số lượt", "Count"),
    "rate": ("Tỷ lệ (%)", "Share (%)"),
    "satisfied_pct": ("Tỷ lệ hài lòng (%)", "Satisfied (%)"),
    "misuse": ("Lượt bấm không hợp lệ (không tính)", "Misuse presses (not counted)"),
    "unbound": ("Lượt bấm không gắn với lượt phục vụ (không tính)", "Presses with nobody served (not counted)"),
    "served": ("Số lượt đã phục vụ", "Tickets served"),
    "rated_pct": ("Tỷ lệ được đánh giá (%)", "Rated (%)"),
    "project_pct": ("Tỷ lệ hài lòng trên lượt đánh giá (%)", "Satisfied of ratings counted (%)"),
    "served_unsatisfied": ("Lượt phục vụ bị đánh giá không hài lòng", "Tickets served rated unsatisfied"),
    "national_pct": ("Tỷ lệ hài lòng theo Bộ chỉ số 766 (%)", "Satisfaction, Decision 766 method (%)"),
    "week": ("Tuần", "Week"),
    "week_from": ("Từ ngày", "From"),
    "week_to": ("Đến ngày", "To"),
    # queue
    "queue_tickets": ("Số phiếu", "Tickets"),
    "queue_times": ("Thời gian chờ và thời gian phục vụ (phút)", "Waiting and service times (minutes)"),
    "queue_busy": ("Thời gian làm việc tại quầy", "Time at the counters"),
    "issued": ("Phiếu đã cấp", "Issued"),
    "called": ("Được gọi lần đầu", "First called"),
    "served_n": ("Đã phục vụ", "Served"),
    "auto_closed": ("Trong đó: tự đóng cuối ngày", "Of which closed at day end"),
    "no_show": ("Vắng mặt khi gọi", "No-show"),
    "transferred_out": ("Chuyển sang dịch vụ khác", "Transferred out"),
    "transferred_in": ("Nhận chuyển đến", "Transferred in"),
    "cancelled": ("Hủy (không in được)", "Cancelled (not printed)"),
    "expired": ("Chưa được gọi khi hết ngày", "Expired (not called)"),
    "open": ("Đang chờ / đang phục vụ", "Still open"),
    "wait_mean": ("Chờ: trung bình (phút)", "Wait: mean (min)"),
    "wait_median": ("Chờ: trung vị (phút)", "Wait: median (min)"),
    "wait_p90": ("Chờ: 90% không quá (phút)", "Wait: 90th percentile (min)"),
    "target": ("Thời gian chờ mục tiêu (phút)", "Target wait (min)"),
    "within_target_pct": ("Được gọi trong thời gian mục tiêu (%)", "Called within target (%)"),
    "service_mean": ("Phục vụ: trung bình (phút)", "Service: mean (min)"),
    "service_median": ("Phục vụ: trung vị (phút)", "Service: median (min)"),
    "service_p90": ("Phục vụ: 90% không quá (phút)", "Service: 90th percentile (min)"),
    "signed_in_h": ("Giờ có mặt tại quầy", "Hours signed in"),
    "paused_h": ("Giờ tạm dừng", "Hours paused"),
    "serving_h": ("Giờ phục vụ", "Hours serving"),
    "busy_pct": ("Tỷ lệ thời gian phục vụ (%)", "Busy share (%)"),
    "heatmap": (
        "Thời gian chờ trung bình (phút) theo giờ lấy số và thứ",
        "Mean wait (minutes) by hour of issue and day",
    ),
    "weekday": ("Thứ", "Day"),
    "hour": ("Giờ lấy số", "Hour of issue"),
    "tickets": ("Số phiếu", "Tickets"),
    "mean_wait": ("Chờ trung bình (phút)", "Mean wait (min)"),
    "minutes": ("phút", "min"),
    # chart titles
    "chart_levels": ("Tỷ lệ các mức đánh giá", "Share of each rating"),
    "chart_weekly": ("Số lượt đánh giá và tỷ lệ hài lòng theo tuần", "Ratings and % satisfied per week"),
    "chart_waits": ("Thời gian chờ theo dịch vụ (phút)", "Waiting time per service (minutes)"),
    "chart_busy": ("Tỷ lệ thời gian phục vụ theo quầy", "Busy share per counter"),
    "legend_mean": ("Trung bình", "Mean"),
    "legend_p90": ("90% không quá", "90th percentile"),
    "legend_target": ("Mục tiêu", "Target"),
    # headline
    "h_counted": ("lượt đánh giá được tính", "ratings counted"),
    "h_satisfied": ("hài lòng trên lượt đánh giá", "satisfied of ratings counted"),
    "h_national": ("hài lòng theo Bộ chỉ số 766", "satisfied, Decision 766 method"),
    "h_rated": ("lượt phục vụ được đánh giá", "of tickets served were rated"),
    "h_excluded": ("lượt bấm không tính", "presses not counted"),
    "h_issued": ("phiếu đã cấp", "tickets issued"),
    "h_served": ("lượt đã phục vụ", "tickets served"),
    "h_wait": ("phút chờ trung bình", "minutes mean wait"),
    "h_within": ("được gọi trong thời gian mục tiêu", "called within the target wait"),
}

DEFINITIONS: dict[Lang, list[str]] = {
    Lang.VI: [
        "Lượt đánh giá được tính: mỗi lượt phục vụ được tính tối đa một lượt, là lượt bấm đầu tiên trong vòng "
        "{window} phút sau khi cán bộ kết thúc phục vụ (hoặc trong lúc đang phục vụ).",
        "Tỷ lệ của mỗi mức = số lượt ở mức đó ÷ tổng số lượt được tính. Tỷ lệ hài lòng trên lượt đánh giá = số "
        "lượt ở mức {satisfied} ÷ tổng số lượt được tính (không cộng mức {neutral}).",
        "Tỷ lệ hài lòng theo Bộ chỉ số 766 (cách tính nhóm “Mức độ hài lòng” của Quyết định số 766/QĐ-TTg ngày "
        "23/6/2022 như hướng dẫn của các tỉnh): (số lượt đã phục vụ − số lượt phục vụ bị đánh giá ở mức "
        "{unsatisfied}) ÷ số lượt đã phục vụ; lượt phục vụ không được đánh giá được coi là hài lòng. Tỷ lệ được "
        "đánh giá = tổng số lượt được tính ÷ số lượt đã phục vụ.",
        "Không tính: lượt bấm lặp lại cho cùng một lượt phục vụ hoặc bấm liên tục (không hợp lệ), và lượt bấm khi "
        "không có ai được phục vụ tại quầy (không gắn với lượt phục vụ). Các lượt này được đếm riêng.",
        "Thời gian chờ: từ lúc lấy số đến lần gọi đầu tiên. Được gọi trong thời gian mục tiêu: số phiếu có thời "
        "gian chờ không quá thời gian mục tiêu của dịch vụ ÷ số phiếu được gọi.",
        "Thời gian phục vụ: từ lần gọi cuối đến khi kết thúc; không tính các phiếu hệ thống tự đóng lúc hết ngày "
        "(cán bộ quên bấm kết thúc).",
        "Trung vị và “90% không quá”: cách tính như hàm PERCENTILE.INC của Excel.",
        "Tỷ lệ thời gian phục vụ = giờ phục vụ ÷ giờ có mặt tại quầy (từ lúc đăng nhập đến lúc đăng xuất; nếu cán "
        "bộ không đăng xuất thì tính đến thao tác cuối cùng).",
        "Ngày làm việc theo giờ {zone}; tuần bắt đầu từ thứ Hai. Số liệu làm tròn một chữ số thập phân.",
    ],
    Lang.EN: [
        "Ratings counted: at most one per ticket, the first press within {window} minutes after the officer "
        "finished serving it (or while it was being served).",
        "Each level's share = that level's count ÷ ratings counted. Satisfied of ratings counted = ratings at "
        "{satisfied} ÷ ratings counted ({neutral} is not included).",
        "Satisfaction, Decision 766 method (the “level of satisfaction” group of Decision 766/QĐ-TTg of 23 June "
        "2022, as provincial guidance computes it): (tickets served − tickets served rated {unsatisfied}) ÷ "
        "tickets served; a ticket nobody rated counts as satisfied. Rated = ratings counted ÷ tickets served.",
        "Not counted: repeated presses for a ticket already rated or inside the pad's lockout (misuse), and "
        "presses when nobody was served at that counter (unbound). They are shown separately.",
        "Wait: from taking the ticket to its first call. Called within target: tickets whose wait did not exceed "
        "their service's target ÷ tickets called.",
        "Service time: from the last call to the finish; tickets closed automatically at the end of the day (the "
        "officer did not press finish) are left out.",
        "Median and 90th percentile: as Excel's PERCENTILE.INC.",
        "Busy share = hours serving ÷ hours signed in (sign-in to sign-out; an officer who did not sign out is "
        "counted until their last action).",
        "Business days in {zone} time; weeks start on Monday. Figures rounded to one decimal.",
    ],
}


def text(key: str, lang: Lang, **values: object) -> str:
    vi, en = TEXTS[key]
    template = vi if lang == "vi" else en
    return template.format(**values) if values else template


def weekday_name(weekday: int, lang: Lang) -> str:
    return VIETNAMESE_WEEKDAYS[weekday] if lang == "vi" else ENGLISH_WEEKDAYS[weekday][:3]


def weekday_short(weekday: int, lang: Lang) -> str:
    return ("T2", "T3", "T4", "T5", "T6", "T7", "CN")[weekday] if lang == "vi" else weekday_name(weekday, lang)


def day_text(day: date, lang: Lang) -> str:
    return f"{day:%d/%m/%Y}" if lang == "vi" else day.isoformat()


class Names:
    """Names of the hall's services, counters, officers and rating levels in one language."""

    def __init__(self, hall: HallConfig, lang: Lang, procedures: Mapping[str, Procedure] | None = None) -> None:
        self.hall = hall
        self.lang = lang
        self.procedures = procedures or {}  # the hall's catalogue, by national code

    def of(self, dim: Dim, key: str | None) -> str:
        if key is None:
            return text("no_officer", self.lang) if dim == "officer" else "—"
        if dim == "hall" or key == HALL_KEY:
            return text("dim_hall", self.lang)
        if dim == "service":
            try:
                service = self.hall.service(key)
            except KeyError:
                return key
            return (service.name_en or service.name) if self.lang == "en" else service.name
        if dim == "procedure":
            procedure = self.procedures.get(key)
            if procedure is None:
                return key
            return (procedure.name_en or procedure.name) if self.lang == "en" else procedure.name
        if dim == "counter":
            try:
                counter = self.hall.counter(int(key))
            except (KeyError, ValueError):
                return key
            if counter.name:
                return counter.name
            return f"Quầy {counter.number}" if self.lang == "vi" else f"Counter {counter.number}"
        return self.hall.officer_name(key) or key

    def level(self, level: str) -> str:
        return self.hall.rating.label(level, self.lang)

    def meaning(self, meaning: str) -> str:
        """The hall's levels that mean `meaning`, quoted and joined: “Rất hài lòng”, “Hài lòng”."""
        levels = [level for level in self.hall.rating.scale if level.meaning == meaning]
        words = [f"“{level.label if self.lang == 'vi' else level.label_en}”" for level in levels]
        return (" hoặc " if self.lang == "vi" else " or ").join(words) if words else "—"

    def dim(self, dim: Dim) -> str:
        return text(f"dim_{dim}", self.lang)


def number(value: int | Fraction | None, lang: Lang, digits: int = 1) -> str:
    """A figure for people: 1.234,5 in Vietnamese, 1,234.5 in English; None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, int):
        whole, decimals = f"{value:,}", ""
    else:
        rounded = round_half_up(value, digits)
        plain = f"{float(rounded):,.{digits}f}"
        whole, _, decimals = plain.partition(".")
    if lang == "vi":
        whole = whole.replace(",", ".")
        return f"{whole},{decimals}" if decimals else whole
    return f"{whole}.{decimals}" if decimals else whole


def plain(value: int | Fraction | None, digits: int = 1) -> str:
    """A figure for a CSV file: 1234.5, no thousands separator; None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{float(round_half_up(value, digits)):.{digits}f}"
